# Copy to instance/config.py and adjust. Every key can also be set as an environment
# variable prefixed with MARKET_ (e.g. MARKET_SQLALCHEMY_DATABASE_URI); the environment wins.

# SECRET_KEY = "a long random string"  # generated into instance/secret_key if unset
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://market@127.0.0.1:5432/market"
# BID_MIN_WORKING_DAYS = 3          # shortest bidding period, in working days
# PUBLICITY_WORKING_DAYS = 3        # result publicity (公示) period, in working days
# PER_PAGE = 20
