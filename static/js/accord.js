// Accord's only script: a <select data-autosubmit> submits its form when changed, so that no
// template needs an inline handler (the Content-Security-Policy allows scripts from 'self' only).
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
