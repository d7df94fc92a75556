// Every page: window.learntorchDemos (the models' API, see models.js), and the in-page
// demos wherever a page has a placeholder for one. The theme's instant navigation swaps
// pages without reloading scripts, so the widgets are mounted on every page view.
import { demos } from "./models.js";
import { mountAll } from "./widgets.js";

window.learntorchDemos = demos;
if (window.document$) window.document$.subscribe(() => mountAll(document));
else mountAll(document);
