// Drag and drop onto the upload form, and a preview of the chosen file before it is sent.
// Without JavaScript the form is a plain file upload.
"use strict";

const PREVIEWABLE = new Set(["image/png", "image/jpeg"]);

function isDicom(file) {
  return file.type === "application/dicom" || /\.(dcm|dicom)$/i.test(file.name);
}

function size(bytes) {
  return bytes < 1048576 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
}

function setUpUpload(form) {
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector("[data-drop-zone]");
  const preview = form.querySelector("[data-preview]");
  const image = form.querySelector("[data-preview-image]");
  const note = form.querySelector("[data-preview-note]");
  const maxBytes = Number(input.dataset.maxBytes);
  form.querySelector("[data-drop-hint]").hidden = false;

  function show(file) {
    preview.hidden = !file;
    image.hidden = true;
    if (image.src) {
      URL.revokeObjectURL(image.src);
      image.removeAttribute("src");
    }
    if (!file) {
      return;
    }
    let message = `${file.name} (${size(file.size)}).`;
    if (file.size > maxBytes) {
      message += ` This file is larger than the ${size(maxBytes)} limit, so it will be refused.`;
    } else if (PREVIEWABLE.has(file.type)) {
      image.src = URL.createObjectURL(file);
      image.hidden = false;
    } else if (isDicom(file)) {
      message += " A DICOM file cannot be previewed in the browser; the result page shows the image as we read it.";
    } else {
      message += " This does not look like a PNG, JPEG or DICOM file; it will be checked when you send it.";
    }
    note.textContent = message;
  }

  input.addEventListener("change", () => show(input.files[0]));
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("is-dragging");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("is-dragging")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show(input.files[0]);
    }
  });
}

document.querySelectorAll("form[data-upload]").forEach(setUpUpload);
