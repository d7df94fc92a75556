"""``python -m demos``: the three demos as tabs of one app, on 127.0.0.1:7860."""

import importlib

from demos.catalog import DEMOS, SITE_URL
from demos.common import gr, launch, parse_args


def intro(demo) -> str:
    card = demo.card()
    figures = ", ".join(f"{name.replace('_', ' ')} {value:.3g}" if isinstance(value, float) else f"{name} {value}"
                        for name, value in card.get("test_metrics", {}).items())
    return (f"{demo.what}\n\n"
            f"*Model card:* test set {figures}; trained on {card.get('device', '?')} "
            f"on {str(card.get('saved_at', '?'))[:10]}. "
            f"[The lesson that trained it]({demo.lesson_url()}) · [full model card]({demo.card_url()})")


def build_app() -> gr.Blocks:
    # Each demo is built first and rendered inside its tab; building it inside the outer
    # Blocks would render it there a second time.
    apps = [importlib.import_module(demo.module).build_app() for demo in DEMOS]
    with gr.Blocks(title="LearnTorch demos") as app:
        gr.Markdown(f"# LearnTorch demos\nModels trained by the lessons of [the course]({SITE_URL}).")
        for demo, demo_app in zip(DEMOS, apps):
            with gr.Tab(demo.title):
                gr.Markdown(intro(demo))
                demo_app.render()
    return app


def main(host: str = "127.0.0.1") -> None:
    launch(build_app(), parse_args(__doc__, port=7860, host=host))


if __name__ == "__main__":
    main()
