/* Draw every dashboard chart and make its points and bars links to the domains behind them.
 *
 * Each chart is a <div data-figure="ID" data-list-url="/domains/">; the figure (plotly JSON,
 * written by Django's json_script) is in <script id="ID" type="application/json">. A point's
 * customdata holds the domain list's query (run, group, mechanism and state, or facet and
 * value); a click opens that list. Survey figures have no domains behind them: no link.
 */
(function () {
  "use strict";

  var QUERY_KEYS = ["run", "group", "org", "mechanism", "state", "facet", "value"];

  function listUrl(base, custom) {
    var params = new URLSearchParams();
    QUERY_KEYS.forEach(function (key) {
      var value = custom[key];
      if (value !== undefined && value !== null && value !== "") {
        params.set(key, String(value));
      }
    });
    return base + "?" + params.toString();
  }

  function onClick(element, event) {
    var point = event && event.points && event.points[0];
    var custom = point && point.customdata;
    if (!custom || custom.run === undefined) {
      return;
    }
    window.location.assign(listUrl(element.dataset.listUrl, custom));
  }

  // plotly.js's own words (its toolbar's tooltips) in the page's language: the page writes
  // them as data (<script id="plotly-locale" type="application/json">), empty in English.
  function pageLocale() {
    var source = document.getElementById("plotly-locale");
    var dictionary = source ? JSON.parse(source.textContent) : {};
    if (typeof Plotly === "undefined" || !Object.keys(dictionary).length) {
      return null;
    }
    var name = document.documentElement.lang || "ja";
    Plotly.register({ moduleType: "locale", name: name, dictionary: dictionary });
    return name;
  }

  var LOCALE = pageLocale();

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source || typeof Plotly === "undefined") {
      return;
    }
    var figure = JSON.parse(source.textContent);
    var config = {
      responsive: true,
      displaylogo: false,
      // Never offer to upload a chart to Plotly's cloud: dashboards hold registry data.
      modeBarButtonsToRemove: ["sendChartToCloud", "lasso2d", "select2d"],
      toImageButtonOptions: { format: "png", filename: element.dataset.filename, scale: 2 }
    };
    if (LOCALE) {
      config.locale = LOCALE;
    }
    Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.on("plotly_click", function (event) { onClick(element, event); });
      element.dataset.ready = "true";
    });
  }

  document.querySelectorAll("[data-figure]").forEach(draw);
})();
