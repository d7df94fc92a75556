// On the Demos page, embed a live Gradio app above the in-page demos when one answers,
// and fall back to screenshots where the in-page models cannot run either:
//   1. "local":       the demo app running on this machine (`make serve`), asked only when
//                     the site itself is served from this machine;
//   2. "space":       the hosted app (the Hugging Face Space named by `extra.space` in
//                     mkdocs.yml), embedded when Hugging Face reports it running;
//   3. "in-page":     no live app: the models running in this page (window.learntorchDemos)
//                     are the demos;
//   4. "screenshots": none of these: the app's screenshots replace the in-page demos.
// The choice is written to #live-demos as data-showing and announced with a
// "learntorch:demos" event (detail: the same word). Re-run on every page view (instant navigation).
document$.subscribe(function () {
  var live = document.getElementById("live-demos");
  if (!live) return;

  function answers(url, options) {  // resolves when url answers within 5 s, else rejects
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 5000);
    return fetch(url, Object.assign({ cache: "no-store", signal: controller.signal }, options))
      .finally(function () { clearTimeout(timer); });
  }

  function embed(url, source, caption) {
    live.querySelector("iframe").src = url;
    live.querySelector(".live-demos-source").innerHTML = caption;
    live.hidden = false;
    return source;
  }

  function localApp() {
    if (!["127.0.0.1", "localhost"].includes(location.hostname)) return Promise.reject(new Error("hosted site"));
    var url = live.dataset.url;
    return answers(url + "config", { mode: "no-cors" }).then(function () {
      return embed(url, "local", "<strong>Live:</strong> the Gradio app running on this machine.");
    });
  }

  function hostedApp() {
    var space = live.dataset.space;
    if (!space) return Promise.reject(new Error("no Space configured"));
    return answers("https://huggingface.co/api/spaces/" + space)
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (info) {
        var stage = info.runtime && info.runtime.stage;
        if (!info.host || (stage !== "RUNNING" && stage !== "RUNNING_BUILDING")) return Promise.reject(stage);
        return embed(info.host + "/", "space",
          '<strong>Live:</strong> the hosted Gradio app, on <a href="https://huggingface.co/spaces/' + space +
          '">Hugging Face</a>.');
      });
  }

  function inPageModels() {
    return window.learntorchDemos ? Promise.resolve("in-page") : Promise.reject(new Error("no in-page models"));
  }

  function screenshots() {
    document.querySelectorAll(".demo-screenshot").forEach(function (shot) { shot.hidden = false; });
    document.querySelectorAll(".inpage-demo").forEach(function (demo) { demo.hidden = true; });
    return "screenshots";
  }

  localApp()
    .catch(hostedApp)
    .catch(inPageModels)
    .catch(screenshots)
    .then(function (showing) {
      live.dataset.showing = showing;
      document.dispatchEvent(new CustomEvent("learntorch:demos", { detail: showing }));
    });
});
