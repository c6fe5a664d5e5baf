"""Every word the app shows, in English and Korean (the browser's language picks)."""

from __future__ import annotations

import gradio as gr

EN = {
    "title": "# Draw a digit",
    "tab_draw": "Draw",
    "subtitle": "Draw a digit from 0 to 9. Two models trained on MNIST say what they see, as you draw.",
    "sketch_label": "Your drawing",
    "model_label": "Model",
    "model_softmax": "Softmax regression",
    "model_mlp": "MLP",
    "chart_label": "Probability of each digit",
    "digit_axis": "digit",
    "probability_axis": "probability",
    "seen_label": "What the model sees (28×28)",
    "about_softmax": "**Softmax regression** ({softmax:.1%} on the MNIST test set): one linear layer. Each digit has a 28×28 weight template; the best-matching template wins.",
    "about_mlp": "**MLP** ({mlp:.1%} on the MNIST test set): a neural network with five hidden layers (256-256-256-128-128) that learns its own strokes and shapes.",
    "device": "Running on **{device}**",
    "draw_prompt": "Draw a digit",
    "prediction": "Prediction",
    "confidence": "probability",
}

KO = {
    "title": "# 숫자를 그려 보세요",
    "tab_draw": "그리기",
    "subtitle": "0부터 9까지 숫자 하나를 그려 보세요. MNIST로 학습한 두 모델이 그리는 동안 무엇으로 보이는지 알려 줍니다.",
    "sketch_label": "내 그림",
    "model_label": "모델",
    "model_softmax": "소프트맥스 회귀",
    "model_mlp": "다층 퍼셉트론(MLP)",
    "chart_label": "숫자별 확률",
    "digit_axis": "숫자",
    "probability_axis": "확률",
    "seen_label": "모델이 보는 그림 (28×28)",
    "about_softmax": "**소프트맥스 회귀** (MNIST 테스트 정확도 {softmax:.1%}): 선형 층 하나. 숫자마다 28×28 가중치 템플릿이 있고, 가장 잘 맞는 템플릿이 이깁니다.",
    "about_mlp": "**MLP** (MNIST 테스트 정확도 {mlp:.1%}): 은닉층 다섯 개(256-256-256-128-128)로 된 신경망으로, 획과 모양을 스스로 학습합니다.",
    "device": "실행 장치: **{device}**",
    "draw_prompt": "숫자를 그려 보세요",
    "prediction": "예측",
    "confidence": "확률",
}



def translations(accuracy: dict[str, float], device: str) -> gr.I18n:
    """The app's strings with this process's figures filled in (Gradio translates whole strings only)."""
    return gr.I18n(**{lang: {key: text.format(device=device, **accuracy) for key, text in table.items()} for lang, table in (("en", EN), ("ko", KO))})
