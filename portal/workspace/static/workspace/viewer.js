// The case page's X-ray viewer: zoom (the viewport scrolls), brightness and contrast (CSS filters on the
// X-ray only, not on the heatmap). Nothing is re-encoded; without JavaScript the X-ray shows as it is.
"use strict";

document.querySelectorAll("[data-viewer]").forEach((viewer) => {
  const frame = viewer.querySelector(".xray");
  const image = viewer.querySelector(".xray-image");
  const controls = viewer.querySelector("[data-viewer-controls]");
  const control = (name) => controls.querySelector(`[data-control="${name}"]`);
  const zoom = control("zoom");
  const brightness = control("brightness");
  const contrast = control("contrast");

  function update() {
    frame.style.width = `${zoom.value}%`;
    image.style.filter = `brightness(${brightness.value}%) contrast(${contrast.value}%)`;
    for (const input of [zoom, brightness, contrast]) {
      controls.querySelector(`[data-output="${input.dataset.control}"]`).textContent = `${input.value}%`;
    }
  }

  for (const input of [zoom, brightness, contrast]) {
    input.addEventListener("input", update);
  }
  controls.querySelector("[data-viewer-reset]").addEventListener("click", () => {
    for (const input of [zoom, brightness, contrast]) {
      input.value = input.defaultValue;
    }
    update();
  });
  controls.hidden = false;
  update();
});
