// The heatmap's toggle and opacity control. Without JavaScript the heatmap simply shows at 70 %.
"use strict";

document.querySelectorAll("[data-xray]").forEach((figure) => {
  const heatmap = figure.querySelector("[data-heatmap]");
  const controls = figure.querySelector("[data-heatmap-controls]");
  if (!heatmap || !controls) {
    return;
  }
  const toggle = controls.querySelector("[data-heatmap-toggle]");
  const opacity = controls.querySelector("[data-heatmap-opacity]");
  const shown = controls.querySelector("[data-heatmap-opacity-value]");

  function update() {
    heatmap.hidden = !toggle.checked;
    heatmap.style.opacity = String(opacity.value / 100);
    opacity.disabled = !toggle.checked;
    shown.textContent = `${opacity.value}%`;
  }

  toggle.addEventListener("change", update);
  opacity.addEventListener("input", update);
  controls.hidden = false;
  update();
});
