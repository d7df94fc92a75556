// On the Demos page: when the demo app answers on this machine (`make serve`), embed it
// live in place of the screenshots. Re-run on every page view (instant navigation).
document$.subscribe(function () {
  var live = document.getElementById("live-demos");
  if (!live) return;
  var url = live.dataset.url;
  fetch(url + "config", { mode: "no-cors", cache: "no-store" })
    .then(function () {
      live.querySelector("iframe").src = url;
      live.hidden = false;
      document.querySelectorAll(".demo-screenshot").forEach(function (shot) { shot.hidden = true; });
    })
    .catch(function () { /* no demo server: keep the screenshots */ });
});
