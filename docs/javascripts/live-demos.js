// On the Demos page, show the demos in the first of these ways that works:
//   1. "local":       the demo app running on this machine (`make serve`), embedded;
//   2. "space":       the hosted Gradio app (the Hugging Face Space named by `extra.space`
//                     in mkdocs.yml), embedded when Hugging Face reports it running;
//   3. "in-page":     the models running in this page (window.learntorchDemos), which their
//                     own script shows when told so (below);
//   4. "screenshots": what the page shows from the start.
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
    document.querySelectorAll(".demo-screenshot").forEach(function (shot) { shot.hidden = true; });
    return source;
  }

  function localApp() {
    var url = live.dataset.url;
    return answers(url + "config", { mode: "no-cors" }).then(function () {
      return embed(url, "local", "<strong>Live:</strong> the demo app running on this machine.");
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
          '<strong>Live:</strong> the hosted app, on <a href="https://huggingface.co/spaces/' + space +
          '">Hugging Face</a>.');
      });
  }

  function inPageModels() {
    return window.learntorchDemos ? Promise.resolve("in-page") : Promise.reject(new Error("no in-page models"));
  }

  localApp()
    .catch(hostedApp)
    .catch(inPageModels)
    .catch(function () { return "screenshots"; })
    .then(function (showing) {
      live.dataset.showing = showing;
      document.dispatchEvent(new CustomEvent("learntorch:demos", { detail: showing }));
    });
});
