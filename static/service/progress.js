// Follows the issue of an activity's certificates without reloading the page: asks for the
// figures every two seconds until they are all done or failed. Without scripts the page
// reloads itself (a <noscript> refresh) instead.
(function () {
  "use strict";
  document.querySelectorAll(".certificate-progress[data-progress-url]").forEach(function (box) {
    if (box.dataset.finished === "1") return;
    var bar = box.querySelector("progress");
    function show(figures) {
      bar.max = figures.total;
      bar.value = figures.done;
      bar.textContent = figures.percent + "%";
      ["done", "total", "failed", "percent"].forEach(function (name) {
        box.querySelectorAll('[data-field="' + name + '"]').forEach(function (element) {
          element.textContent = figures[name];
        });
      });
      box.dataset.finished = figures.finished ? "1" : "0";
    }
    function poll() {
      fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (figures) {
          if (figures) show(figures);
          if (!figures || !figures.finished) window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  });
})();
