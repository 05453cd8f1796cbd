// A form marked data-busy shows its [data-busy-status] while the next page loads, and is not sent twice.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("[data-busy]") || event.defaultPrevented) {
    return;
  }
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "yes";
  form.querySelectorAll("[data-busy-status]").forEach((status) => { status.hidden = false; });
  form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = true; });
});

// Coming back with the Back button restores the page as it was left: make the form usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) {
    return;
  }
  document.querySelectorAll("form[data-busy]").forEach((form) => {
    delete form.dataset.sending;
    form.querySelectorAll("[data-busy-status]").forEach((status) => { status.hidden = true; });
    form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = false; });
  });
});
