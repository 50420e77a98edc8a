// Check-in at the door (templates/activities/registrations/check_in.html). The page works
// without this script through its typed-code form; with it, a phone's camera reads tickets
// with the browser's own BarcodeDetector, or else with the vendored jsQR
// (static/vendor/jsqr-1.4.0), and each answer shows at once, without a reload.
// Every text shown comes from the page's data-msg-* attributes, so it is translated.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("check-in");
  if (!root) {
    return;
  }
  const form = document.getElementById("check-in-form");
  const input = form.querySelector("input[name=ticket]");
  const result = document.getElementById("check-in-result");
  const scanner = document.getElementById("scanner");
  const video = document.getElementById("scanner-video");
  const status = document.getElementById("scanner-status");
  const start = document.getElementById("scanner-start");
  const stop = document.getElementById("scanner-stop");
  const unavailable = document.getElementById("scanner-unavailable");
  const text = (name) => root.dataset[name] || "";

  function show(answer) {
    const item = document.createElement("li");
    item.className = answer.ok ? "success" : "error";
    const line = document.createElement("h2");
    line.textContent = answer.ok ? answer.name : answer.message;
    item.append(line);
    if (answer.ok) {
      const detail = document.createElement("p");
      detail.textContent = answer.message;
      item.append(detail);
    }
    result.replaceChildren(item);
    if (navigator.vibrate) {
      navigator.vibrate(answer.ok ? 80 : [60, 60, 60]);
    }
  }

  async function send(ticket) {
    result.replaceChildren(Object.assign(document.createElement("li"), {
      textContent: text("msgChecking"),
    }));
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    body.append("ticket", ticket);
    const mode = form.querySelector("input[name=mode]:checked");
    if (mode) body.append("mode", mode.value);
    try {
      const response = await fetch(form.action || window.location.href, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      });
      show(await response.json());
    } catch {
      show({ ok: false, message: text("msgOffline"), name: "", code: "offline" });
    }
  }

  // The typed code: answered in place, and the field is ready for the next one.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const ticket = input.value.trim();
    if (ticket) {
      send(ticket).then(() => {
        input.value = "";
        input.focus();
      });
    }
  });

  function cannotScan(message) {
    scanner.hidden = true;
    unavailable.textContent = message;
    unavailable.hidden = false;
  }

  // The browser's own decoder where it has one, else the vendored jsQR reading video frames
  // drawn on a canvas (static/vendor/jsqr-1.4.0).
  const native = "BarcodeDetector" in window;
  if ((!native && typeof window.jsQR !== "function") || !navigator.mediaDevices?.getUserMedia) {
    cannotScan(text("msgUnsupported"));
    return;
  }
  const canvas = document.createElement("canvas");

  function jsqrDetector() {
    return {
      async detect(source) {
        canvas.width = source.videoWidth;
        canvas.height = source.videoHeight;
        const context = canvas.getContext("2d", { willReadFrequently: true });
        context.drawImage(source, 0, 0, canvas.width, canvas.height);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        const found = window.jsQR(frame.data, frame.width, frame.height, {
          inversionAttempts: "dontInvert",
        });
        return found ? [{ rawValue: found.data }] : [];
      },
    };
  }

  let stream = null;
  let detector = null;
  let last = { value: "", at: 0 };
  let busy = false;

  async function scan() {
    if (!stream) {
      return;
    }
    if (!busy && video.readyState >= 2) {
      busy = true;
      try {
        const codes = await detector.detect(video);
        const value = codes.length ? codes[0].rawValue : "";
        // The same ticket stays in front of the camera for a while: send it once.
        if (value && (value !== last.value || Date.now() - last.at > 4000)) {
          last = { value, at: Date.now() };
          await send(value);
        }
      } catch {
        // A frame the detector could not read: try the next one.
      }
      busy = false;
    }
    setTimeout(scan, 200);
  }

  function stopCamera() {
    if (stream) {
      for (const track of stream.getTracks()) {
        track.stop();
      }
    }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    start.hidden = false;
    stop.hidden = true;
    status.textContent = "";
  }

  start.addEventListener("click", async () => {
    try {
      detector =
        detector || (native ? new BarcodeDetector({ formats: ["qr_code"] }) : jsqrDetector());
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch {
      stopCamera();
      cannotScan(text("msgCameraFailed"));
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    start.hidden = true;
    stop.hidden = false;
    status.textContent = text("msgPoint");
    scan();
  });
  stop.addEventListener("click", stopCamera);

  if (!native) {
    scanner.hidden = false; // jsQR reads any browser's frames
    return;
  }
  BarcodeDetector.getSupportedFormats().then((formats) => {
    if (formats.includes("qr_code")) {
      scanner.hidden = false;
    } else if (typeof window.jsQR === "function") {
      scanner.hidden = false;
      detector = jsqrDetector();
    } else {
      cannotScan(text("msgUnsupported"));
    }
  }, () => cannotScan(text("msgUnsupported")));
});
