/* The statistics' charts (templates/statistics/): each element with data-chart is drawn by
   Apache ECharts (SVG renderer) from the page's JSON (#statistics-data's data-json, the
   figures of the same filters as the page). The tables stay in the page: without scripts,
   or if the JSON cannot be read, they are what is read; once a chart is drawn its table
   folds under "数据表". */
(function () {
  "use strict";

  var holder = document.getElementById("statistics-data");
  if (!holder || typeof window.echarts === "undefined" || !window.fetch) {
    return;
  }
  var charts = [];
  var PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#d63384", "#198754", "#6c757d"];

  function unitFormatter(unit) {
    return function (value) {
      if (value === null || value === undefined || value === "-") {
        return "—";
      }
      if (unit === "%") {
        return value + "%";
      }
      return value + (unit && unit !== "HHI" ? " " + unit : "");
    };
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  // ECharts' own tooltip markup carries style attributes, which the policy drops: this one
  // has classes only (static/statistics.css), one row per series with its colour and value.
  function tooltip(spec) {
    return function (params) {
      var rows = [].concat(params).map(function (p) {
        var unit = spec.axes[spec.series[p.seriesIndex].axis];
        return (
          '<div class="stat-tip-row"><span class="stat-tip-dot stat-tip-c' +
          (p.seriesIndex % PALETTE.length) +
          '"></span><span class="stat-tip-name">' +
          escapeHtml(p.seriesName) +
          '</span><span class="stat-tip-value">' +
          escapeHtml(unitFormatter(unit)(p.value)) +
          "</span></div>"
        );
      });
      var title = [].concat(params)[0];
      return (
        '<div class="stat-tip-title">' +
        escapeHtml(title ? title.axisValueLabel || title.name : "") +
        "</div>" +
        rows.join("")
      );
    };
  }

  // integer: the axis counts whole things (the JSON's integer_axes, whatever the language)
  function valueAxis(unit, index, integer) {
    return {
      type: "value",
      name: unit,
      position: index ? "right" : "left",
      minInterval: integer ? 1 : undefined,
      splitLine: { show: index === 0 },
      axisLabel: { formatter: unit === "%" ? "{value}%" : "{value}", hideOverlap: true }
    };
  }

  function option(spec, width) {
    var horizontal = spec.type === "hbar";
    var category = {
      type: "category",
      data: spec.categories,
      inverse: horizontal,
      // a row's name takes at most two fifths of a narrow chart, cut with an ellipsis
      axisLabel: horizontal
        ? { width: Math.min(200, Math.round(width * 0.4)), overflow: "truncate" }
        : { hideOverlap: true }
    };
    var values = spec.axes.map(function (unit, index) {
      return valueAxis(unit, index, (spec.integer_axes || [])[index]);
    });
    if (horizontal) {
      values[0].name = ""; // the title names the unit; at the axis's end it would crowd it
    }
    var markAxis = spec.axes.length - 1;
    var marked = false;
    var series = spec.series.map(function (s) {
      var entry = {
        name: s.name,
        type: s.type,
        data: s.data,
        stack: s.stack || undefined,
        barMaxWidth: 28,
        connectNulls: true
      };
      entry[horizontal ? "xAxisIndex" : "yAxisIndex"] = s.axis;
      if (spec.marks.length && !marked && s.axis === markAxis) {
        marked = true;
        entry.markLine = {
          silent: true,
          symbol: "none",
          lineStyle: { type: "dashed", color: "#dc3545" },
          // across a bar per row the lines' values would crowd the axis: the note says them
          label: { show: !horizontal, formatter: "{b}", position: "insideEndTop" },
          data: spec.marks.map(function (m) {
            var line = { name: m.label };
            line[horizontal ? "xAxis" : "yAxis"] = m.value;
            return line;
          })
        };
      }
      if (spec.series.length === 1 && horizontal) {
        entry.colorBy = "series";
      }
      return entry;
    });
    return {
      color: PALETTE,
      aria: { enabled: true },
      animation: false,
      tooltip: {
        trigger: "axis",
        confine: true,
        className: "stat-tip",
        formatter: tooltip(spec)
      },
      legend: { type: "scroll", top: 0, show: spec.series.length > 1 },
      grid: {
        left: 8,
        right: horizontal ? 28 : 8,
        top: spec.series.length > 1 ? 60 : 30,
        bottom: 8,
        containLabel: true
      },
      xAxis: horizontal ? values : category,
      yAxis: horizontal ? category : values,
      series: series
    };
  }

  function draw(data) {
    var elements = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(elements, function (el) {
      var table = data.tables[el.getAttribute("data-chart")];
      if (!table || !table.chart || !table.chart.categories.length) {
        return;
      }
      var spec = table.chart;
      if (spec.type === "hbar") {
        // a bar per row: the chart grows with its rows (CSSOM, which the policy allows)
        el.style.height = Math.max(200, 60 + 28 * spec.categories.length) + "px";
      }
      el.classList.add("drawn");
      var english = (document.documentElement.getAttribute("lang") || "").indexOf("en") === 0;
      var chart = window.echarts.init(el, null, { renderer: "svg", locale: english ? "EN" : "ZH" });
      chart.setOption(option(spec, el.clientWidth));
      charts.push(chart);
      var block = el.closest(".stat-block");
      var details = block && block.querySelector("details.stat-table");
      if (details) {
        details.open = false;
      }
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });

  window
    .fetch(holder.getAttribute("data-json"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(draw)
    .catch(function () {
      /* the tables remain: they hold every figure */
    });
})();
