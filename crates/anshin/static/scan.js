// The wallet's scan page, improved where the browser can read QR codes itself (BarcodeDetector):
// a camera button that reads the shop's code live, and a photo of any format read in the
// browser. Without it, the form works as it is (a PNG photo is read on the server, or the text).
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var payload = document.getElementById("payload");
  var photo = document.getElementById("photo");
  if (!form || !payload || !("BarcodeDetector" in window)) { return; }
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });

  function found(text) {
    payload.value = text;
    if (photo) { photo.value = ""; }
    form.submit();
  }

  if (photo && window.createImageBitmap) {
    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      if (!file) { return; }
      window.createImageBitmap(file).then(function (bitmap) {
        return detector.detect(bitmap);
      }).then(function (codes) {
        if (codes.length > 0) { found(codes[0].rawValue); }
      }).catch(function () { /* the server reads the PNG instead */ });
    });
  }

  var button = document.getElementById("camera");
  var video = document.getElementById("camera-view");
  if (!button || !video || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      return video.play().then(function () {
        var tries = 0;
        function look() {
          // Bounded: about a minute of looking, then the camera stops.
          if (tries++ > 300) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
          detector.detect(video).then(function (codes) {
            if (codes.length > 0) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              found(codes[0].rawValue);
            } else {
              window.setTimeout(look, 200);
            }
          }).catch(function () { window.setTimeout(look, 200); });
        }
        look();
      });
    }).catch(function () { button.hidden = true; });
  });
}());
