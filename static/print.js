// A page's 打印 button: the browser's print dialog (the print stylesheet in market.css leaves
// out the header, menus and forms). Loaded from the site itself: no inline script (CSP).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
