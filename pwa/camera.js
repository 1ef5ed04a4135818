// Scanning with the camera: the browser's own BarcodeDetector where it has one, otherwise the vendored
// barcode-detector polyfill (zxing-wasm), its .wasm served by this app — nothing comes from a CDN.

const FORMATS = ["code_128", "ean_13", "ean_8", "upc_a", "upc_e", "qr_code", "data_matrix"];
const WASM = "/vendor/zxing-wasm/zxing_reader.wasm";
let detector = null;

async function makeDetector() {
  if ("BarcodeDetector" in window) {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    const formats = FORMATS.filter((f) => supported.includes(f));
    if (formats.length) return new window.BarcodeDetector({ formats });
  }
  const { BarcodeDetector, prepareZXingModule } = await import("/vendor/barcode-detector/ponyfill.js");
  prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path) },
    fireImmediately: true,
  });
  return new BarcodeDetector({ formats: FORMATS });
}

/** Open the camera in `video` and call `onCode(text)` with the first code it reads; returns a function that stops it. */
export async function scanWithCamera(video, onCode, { interval = 150 } = {}) {
  detector = detector || await makeDetector();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false });
  video.srcObject = stream;
  video.setAttribute("playsinline", "");
  await video.play();
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const tick = async () => {
    if (stopped) return;
    try {
      const found = await detector.detect(video);
      if (found.length && !stopped) {
        stop();
        onCode(found[0].rawValue);
        return;
      }
    } catch { /* a frame that could not be read: try the next */ }
    setTimeout(tick, interval);
  };
  tick();
  return stop;
}
