// On the Demos page, when the site is served from this machine (`make serve`) and the
// Gradio demo app answers, embed the app live above the in-page demos. On a hosted copy
// of the site nothing is asked of this machine. Re-run on every page view (instant navigation).
document$.subscribe(function () {
  var live = document.getElementById("live-demos");
  if (!live || !["127.0.0.1", "localhost"].includes(location.hostname)) return;
  var url = live.dataset.url;
  fetch(url + "config", { mode: "no-cors", cache: "no-store" })
    .then(function () {
      live.querySelector("iframe").src = url;
      live.hidden = false;
    })
    .catch(function () { /* no demo server: the in-page demos are enough */ });
});
