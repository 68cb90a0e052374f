/* The survey-style figure's downloads: PNG and SVG at print size, drawn by plotly.js in the
 * browser (no server-side renderer). The chart element says the print width in CSS pixels
 * (A4 landscape at 96 px per inch) and the PNG's scale; the height is the figure's own, so the
 * title, the denominator note and the sources stay inside the image.
 */
(function () {
  "use strict";

  function download(button) {
    var element = document.getElementById(button.dataset.chart);
    if (!element || element.dataset.ready !== "true" || typeof Plotly === "undefined") {
      return;
    }
    var png = button.dataset.format === "png";
    Plotly.downloadImage(element, {
      format: png ? "png" : "svg",
      width: Number(element.dataset.printWidth),
      height: element.layout.height,
      scale: png ? Number(element.dataset.pngScale) : 1,
      filename: element.dataset.filename
    });
  }

  document.querySelectorAll("button.download-image").forEach(function (button) {
    button.addEventListener("click", function () { download(button); });
  });
})();
