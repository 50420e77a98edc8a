// Accord's only script: a <select data-autosubmit> submits its form when changed, so that no
// template needs an inline handler (the Content-Security-Policy allows scripts from 'self' only).
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
});

// On a phone each table row is shown as a card (accord.css): give every cell its column's
// heading as data-label to show beside the value. A heading that is for screen readers only
// (an "Actions" column) labels nothing on screen.
document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("main table")) {
    const headings = [...table.querySelectorAll("thead th")].map((th) =>
      th.querySelector(".visually-hidden") ? "" : th.textContent.trim(),
    );
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, index) => {
        if (headings[index] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", headings[index]);
        }
      });
    }
  }
});
