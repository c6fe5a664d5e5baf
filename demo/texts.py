"""Every word the app shows, in English and Korean (the browser's language picks)."""

from __future__ import annotations

import gradio as gr

from mnist_models.preprocess import DrawingError

EN = {
    "title": "# Draw a digit",
    "examples_label": "Digits people write differently (a 7 with a bar, a 4 open at the top, a 1 with a flag and a foot, a 9 with a curled tail): tap one to put it on the pad",
    "to_classroom": "**Teaching with this?** The [classroom page](classroom) shows the class's drawings on a wall, compares the two models, shows what is inside them, explores the test set and trains a model live.",
    "classroom_title": "# Classroom: inside the two models",
    "to_draw": "Draw here, then open a tab. Students draw on the [drawing page](../).",
    "subtitle": "Draw a digit from 0 to 9. Two models, trained on MNIST and on digits people wrote with a pen, say what they see as you draw.",
    "sketch_label": "Your drawing",
    "pad_hint": "Draw a digit here",
    "pad_undo": "Undo",
    "pad_clear": "Clear",
    "pad_undo_label": "Undo the last stroke (Ctrl+Z)",
    "pad_clear_label": "Clear the drawing",
    "model_label": "Model",
    "model_softmax": "Softmax regression",
    "model_mlp": "MLP",
    "chart_label": "Probability of each digit",
    "digit_axis": "digit",
    "probability_axis": "probability",
    "seen_label": "What the model sees (28×28)",
    "photo_title": "Or: a photo of a digit on paper",
    "photo_label": "Take or upload a photo",
    "about_softmax": "**Softmax regression** ({softmax:.1%} on the MNIST test set, {softmax_pen:.1%} on digits drawn by people it never saw): one linear layer. Each digit has a 28×28 weight template; the best-matching template wins.",
    "about_mlp": "**MLP** ({mlp:.1%} on the MNIST test set, {mlp_pen:.1%} on digits drawn by people it never saw): a neural network with five hidden layers (256-256-256-128-128) that learns its own strokes and shapes.",
    "device": "Running on **{device}**",
    "draw_prompt": "Draw a digit",
    "prediction": "Prediction",
    "confidence": "probability",
    # Classroom tabs
    "tab_compare": "Compare",
    "tab_softmax": "Inside softmax",
    "tab_mlp": "Inside the MLP",
    "tab_cards": "Model cards",
    "tab_explorer": "Test set",
    "tab_train": "Train live",
    "compare_intro": "Your drawing, shown to both models at once. The charts follow the pad as you draw.",
    "compare_softmax_chart": "Softmax regression: probability of each digit",
    "compare_mlp_chart": "MLP: probability of each digit",
    "softmax_intro": "Softmax regression gives every digit a score: each pixel's ink times that digit's weight for the pixel, added up, plus a bias. The highest score wins. So each digit has a 28×28 **template** of weights: red where ink counts for the digit, blue where ink counts against it.",
    "templates_label": "The ten templates (red: ink here means this digit; blue: ink here means another digit)",
    "other_digit_label": "Compare with digit",
    "contributions_label": "Your drawing, then weight × ink for the predicted digit and for the chosen digit (red adds to the score, blue takes away)",
    "mlp_intro": "The MLP has no single template per digit: five hidden layers combine pixels into strokes and shapes. We can still ask where it looks: cover a small patch of the drawing and see how much its confidence drops.",
    "occlusion_label": "Your drawing, and where the MLP looks (red: covering this spot lowers its confidence in its answer; blue: raises it)",
    "activations_label": "Hidden layers 1-5: each cell is one unit (dark: silent, bright: active); the title counts the active units",
    "activations_about": "Each hidden unit reacts to a pattern it learned. Most are silent for any one drawing, and a different drawing lights up a different set: that set is what the last layer turns into an answer.",
    "cards_intro": "What was trained, how, and how well: read from the metrics file shipped with the weights.",
    "card_softmax_title": "### Softmax regression",
    "card_mlp_title": "### MLP",
    "card_parameters": "Parameters",
    "card_test_accuracy": "MNIST test accuracy (10,000 digits)",
    "card_pen_accuracy": "Accuracy on real pen-drawn digits (validation writers)",
    "card_recipe": "Training recipe",
    "card_trained": "Trained on",
    "per_class_label": "Accuracy per digit, % (bars: MNIST test set; dots: real pen-drawn digits)",
    "confusion_label": "Confusion matrix: true digit down the side, predicted digit across the top",
    "curves_label": "Training curves per epoch: loss (left) and accuracy (right); solid: training set, dashed: test set",
    "explorer_intro": "Real handwritten digits from the MNIST test set, which neither model saw while training.",
    "random_digit": "Show a random test digit",
    "explorer_digit_label": "Test digit",
    "mistakes_title": "### Mistakes",
    "mistakes_about": "Digits a model gets wrong. Narrow them down by the true digit and the model's answer, like a cell of the confusion matrix.",
    "mistakes_model": "Model",
    "true_digit": "True digit",
    "predicted_digit": "Model's answer",
    "any_digit": "any",
    "mistakes_gallery": "Mistakes (true → answer)",
    "train_intro": "Train a new model from scratch and watch it learn. It is yours for this page only: the models on the other tabs do not change. One training runs at a time on this server.",
    "train_model": "Model to train",
    "train_epochs": "Epochs (passes over the training images)",
    "train_subset": "Training images",
    "train_start": "Start training",
    "train_stop": "Stop",
    "train_curves_label": "Loss (left) and test accuracy in % (right) as it learns; solid: training batches, dashed: test digits",
    "train_weights_label": "Its weights (softmax: one template per digit; MLP: what ten first-layer units look for)",
    # The class wall
    "meant_intro": "**What did you mean?** Tap the digit you drew to put your drawing on the class wall, with both models' answers. Nothing is sent to the wall until you tap.",
    "tab_wall": "Class wall",
    "wall_intro": "Drawings the class labelled with the digit they meant, newest first, with both models' answers (a red mark: that model missed). It updates by itself.",
    "join_title": "Students: open this address (or scan the code) to draw",
    "wall_digit_filter": "Digit meant",
    "wall_missed_filter": "Show",
    "wall_all": "all",
    "wall_missed_softmax": "missed by softmax",
    "wall_missed_mlp": "missed by the MLP",
    "teacher_title": "### Teacher",
    "teacher_password": "Teacher password",
    "teacher_open": "No teacher password is set on this server, so anyone with this page can use these controls (start the app with `MNIST_TEACHER_PASSWORD` set, or `--teacher-password`, to guard them).",
    "teacher_guarded": "These controls need the teacher password (the box on the left, under the pad).",
    "wall_clear": "Clear the wall",
    "wall_export": "Download the wall (ZIP)",
    "wall_export_file": "The wall: PNGs and labels.csv",
    "fine_tune_about": "**Fine-tune on the class's drawings:** a copy of a model trains for a few seconds on the wall's drawings (mixed with MNIST when the server has it); a quarter of the drawings are kept out to test it. The shipped models on the students' pages do not change.",
    "fine_tune_model": "Model to fine-tune",
    "fine_tune_start": "Fine-tune a copy",
    "fine_tune_reset": "Throw the copy away",
}

KO = {
    "title": "# 숫자를 그려 보세요",
    "examples_label": "사람마다 다르게 쓰는 숫자 (가로줄을 그은 7, 위가 열린 4, 머리와 받침이 있는 1, 꼬리가 말린 9): 누르면 패드에 그려집니다",
    "to_classroom": "**수업에 쓰시나요?** [수업 페이지](classroom)에서 학급이 그린 숫자를 게시판으로 보고, 두 모델을 비교하고, 모델 속을 들여다보고, 테스트 세트를 살펴보고, 모델을 직접 학습시킬 수 있습니다.",
    "classroom_title": "# 수업: 두 모델의 속",
    "to_draw": "여기에 그린 다음 탭을 여세요. 학생들은 [그리기 페이지](../)에서 그립니다.",
    "subtitle": "0부터 9까지 숫자 하나를 그려 보세요. MNIST와 사람들이 펜으로 쓴 숫자로 학습한 두 모델이 그리는 동안 무엇으로 보이는지 알려 줍니다.",
    "sketch_label": "내 그림",
    "pad_hint": "여기에 숫자를 그리세요",
    "pad_undo": "되돌리기",
    "pad_clear": "지우기",
    "pad_undo_label": "마지막 획 되돌리기 (Ctrl+Z)",
    "pad_clear_label": "그림 모두 지우기",
    "model_label": "모델",
    "model_softmax": "소프트맥스 회귀",
    "model_mlp": "다층 퍼셉트론(MLP)",
    "chart_label": "숫자별 확률",
    "digit_axis": "숫자",
    "probability_axis": "확률",
    "seen_label": "모델이 보는 그림 (28×28)",
    "photo_title": "또는: 종이에 쓴 숫자 사진",
    "photo_label": "사진을 찍거나 올리세요",
    "about_softmax": "**소프트맥스 회귀** (MNIST 테스트 정확도 {softmax:.1%}, 처음 보는 사람들이 쓴 숫자 {softmax_pen:.1%}): 선형 층 하나. 숫자마다 28×28 가중치 템플릿이 있고, 가장 잘 맞는 템플릿이 이깁니다.",
    "about_mlp": "**MLP** (MNIST 테스트 정확도 {mlp:.1%}, 처음 보는 사람들이 쓴 숫자 {mlp_pen:.1%}): 은닉층 다섯 개(256-256-256-128-128)로 된 신경망으로, 획과 모양을 스스로 학습합니다.",
    "device": "실행 장치: **{device}**",
    "draw_prompt": "숫자를 그려 보세요",
    "prediction": "예측",
    "confidence": "확률",
    # Classroom tabs
    "tab_compare": "비교",
    "tab_softmax": "소프트맥스 속",
    "tab_mlp": "MLP 속",
    "tab_cards": "모델 카드",
    "tab_explorer": "테스트 세트",
    "tab_train": "직접 학습",
    "compare_intro": "내 그림을 두 모델에 동시에 보여 줍니다. 그리는 동안 차트가 따라 바뀝니다.",
    "compare_softmax_chart": "소프트맥스 회귀: 숫자별 확률",
    "compare_mlp_chart": "MLP: 숫자별 확률",
    "softmax_intro": "소프트맥스 회귀는 숫자마다 점수를 매깁니다. 각 픽셀의 잉크에 그 숫자의 해당 픽셀 가중치를 곱해 모두 더하고 편향을 더합니다. 점수가 가장 높은 숫자가 답입니다. 그래서 숫자마다 28×28 가중치 **템플릿**이 있습니다. 빨간색은 잉크가 그 숫자 쪽으로, 파란색은 반대쪽으로 작용하는 곳입니다.",
    "templates_label": "열 개의 템플릿 (빨강: 여기에 잉크가 있으면 이 숫자, 파랑: 다른 숫자)",
    "other_digit_label": "비교할 숫자",
    "contributions_label": "내 그림, 그리고 예측한 숫자와 고른 숫자에 대한 가중치 × 잉크 (빨강은 점수를 더하고 파랑은 뺍니다)",
    "mlp_intro": "MLP에는 숫자마다 하나의 템플릿이 없습니다. 은닉층 다섯 개가 픽셀을 획과 모양으로 조합합니다. 그래도 어디를 보는지는 알 수 있습니다. 그림의 작은 부분을 가리고 확신이 얼마나 떨어지는지 보면 됩니다.",
    "occlusion_label": "내 그림, 그리고 MLP가 보는 곳 (빨강: 이곳을 가리면 답에 대한 확신이 떨어짐, 파랑: 올라감)",
    "activations_label": "은닉층 1-5: 칸 하나가 유닛 하나 (어두움: 꺼짐, 밝음: 활성), 제목은 활성 유닛 수",
    "activations_about": "은닉 유닛은 각자 학습한 패턴에 반응합니다. 한 그림에 대해서는 대부분 꺼져 있고, 그림이 달라지면 켜지는 유닛도 달라집니다. 마지막 층은 켜진 유닛들의 조합을 답으로 바꿉니다.",
    "cards_intro": "무엇을, 어떻게, 얼마나 잘 학습했는지: 가중치와 함께 배포된 지표 파일에서 읽었습니다.",
    "card_softmax_title": "### 소프트맥스 회귀",
    "card_mlp_title": "### MLP",
    "card_parameters": "매개변수 수",
    "card_test_accuracy": "MNIST 테스트 정확도 (숫자 10,000개)",
    "card_pen_accuracy": "실제 펜 손글씨 정확도 (검증용 필자)",
    "card_recipe": "학습 방법",
    "card_trained": "학습 환경",
    "per_class_label": "숫자별 정확도, % (막대: MNIST 테스트 세트, 점: 실제 펜 손글씨)",
    "confusion_label": "혼동 행렬: 세로는 실제 숫자, 가로는 예측한 숫자",
    "curves_label": "에포크별 학습 곡선: 손실(왼쪽)과 정확도(오른쪽), 실선: 학습 세트, 점선: 테스트 세트",
    "explorer_intro": "MNIST 테스트 세트의 실제 손글씨 숫자입니다. 두 모델 모두 학습할 때 보지 못한 숫자입니다.",
    "random_digit": "무작위 테스트 숫자 보기",
    "explorer_digit_label": "테스트 숫자",
    "mistakes_title": "### 틀린 숫자",
    "mistakes_about": "모델이 틀린 숫자들입니다. 혼동 행렬의 한 칸처럼 실제 숫자와 모델의 답으로 좁혀 보세요.",
    "mistakes_model": "모델",
    "true_digit": "실제 숫자",
    "predicted_digit": "모델의 답",
    "any_digit": "전체",
    "mistakes_gallery": "틀린 숫자 (실제 → 답)",
    "train_intro": "새 모델을 처음부터 학습시키며 배우는 과정을 지켜보세요. 이 페이지에서만 쓰이고 다른 탭의 모델은 바뀌지 않습니다. 이 서버에서는 한 번에 하나의 학습만 실행됩니다.",
    "train_model": "학습할 모델",
    "train_epochs": "에포크 (학습 이미지 전체를 도는 횟수)",
    "train_subset": "학습 이미지 수",
    "train_start": "학습 시작",
    "train_stop": "멈추기",
    "train_curves_label": "학습 중 손실(왼쪽)과 테스트 정확도 %(오른쪽), 실선: 학습 배치, 점선: 테스트 숫자",
    "train_weights_label": "가중치 (소프트맥스: 숫자별 템플릿, MLP: 첫 층 유닛 열 개가 찾는 모양)",
    # The class wall
    "meant_intro": "**무엇을 그렸나요?** 그린 숫자를 누르면 내 그림이 두 모델의 답과 함께 학급 게시판에 올라갑니다. 누르기 전에는 아무것도 보내지 않습니다.",
    "tab_wall": "학급 게시판",
    "wall_intro": "학생들이 그리려던 숫자를 붙여 올린 그림입니다. 최신 것이 먼저 나오고, 두 모델의 답이 함께 있습니다 (빨간 표시: 그 모델이 틀림). 저절로 새로 고쳐집니다.",
    "join_title": "학생: 이 주소를 열거나 코드를 찍어서 그리세요",
    "wall_digit_filter": "그리려던 숫자",
    "wall_missed_filter": "보기",
    "wall_all": "전체",
    "wall_missed_softmax": "소프트맥스가 틀린 것",
    "wall_missed_mlp": "MLP가 틀린 것",
    "teacher_title": "### 교사",
    "teacher_password": "교사 비밀번호",
    "teacher_open": "이 서버에는 교사 비밀번호가 없어서 이 페이지를 연 사람은 누구나 아래 기능을 쓸 수 있습니다 (`MNIST_TEACHER_PASSWORD`를 지정하거나 `--teacher-password`로 앱을 시작하면 막을 수 있습니다).",
    "teacher_guarded": "이 기능들은 교사 비밀번호가 필요합니다 (왼쪽 그림판 아래 칸).",
    "wall_clear": "게시판 비우기",
    "wall_export": "게시판 내려받기 (ZIP)",
    "wall_export_file": "게시판: PNG 파일과 labels.csv",
    "fine_tune_about": "**학급 그림으로 미세 조정:** 모델의 복사본을 게시판 그림으로 몇 초 동안 학습시킵니다 (서버에 MNIST가 있으면 섞어서). 그림의 4분의 1은 평가용으로 남겨 둡니다. 학생 페이지의 모델은 바뀌지 않습니다.",
    "fine_tune_model": "미세 조정할 모델",
    "fine_tune_start": "복사본 미세 조정",
    "fine_tune_reset": "복사본 버리기",
}

# Messages made while the app runs, in each viewer's language (Gradio's own translations cover
# only fixed strings). Placeholders are filled per language; {name} is the model's name.
MESSAGES = {
    "en": {
        "draw_first": "Draw a digit on the pad first.",
        "agree": "Both models say **{digit}**.",
        "disagree": "**They disagree:** softmax regression says **{softmax}**, the MLP says **{mlp}**.",
        "scores": "Score for **{digit}**: {total:.2f} (the map adds up to {ink:.2f}, plus bias {bias:.2f}) · score for **{other}**: {other_total:.2f} ({other_ink:.2f} + {other_bias:.2f})",
        "mlp_answer": "The MLP says **{digit}** ({probability:.0%}). {active} of {units} hidden units are active for this drawing.",
        "no_data": "The MNIST data set is not available on this server (looked in `{root}`), so this tab has nothing to show. To enable it, put the four MNIST IDX files in a folder and start the app with `MNIST_DATA_DIR` set to that folder, or start it once with internet access so they are downloaded.",
        "test_digit": "Test digit #{index}: the true digit is **{label}** · softmax regression says **{softmax}** · the MLP says **{mlp}**",
        "mistakes_count": "With these filters, {name} gets **{count}** of {total:,} test digits wrong (showing {shown}).",
        "busy": "Someone else is training a model on this server right now (one at a time). Try again in a minute.",
        "training": "Training {name}: epoch {done:.1f} of {epochs}, {images:,} images in {seconds:.0f} s · test accuracy **{accuracy}**",
        "trained": "Done: {name}, {images:,} images in {seconds:.0f} s (epochs: {epochs}) · test accuracy **{accuracy}**",
        "stopped": "Stopped after {done:.1f} epochs ({images:,} images, {seconds:.0f} s) · test accuracy **{accuracy}**",
        "stopping": "Stopping…",
        "nothing_to_stop": "No training of yours is running.",
        "loading": "Reading the MNIST files…",
        "choose_settings": "Choose a model, a number of epochs and a number of training images.",
        "draw_prompt": "Draw a digit",
        "unknown_model": "Unknown model. Choose softmax or mlp.",
        "answer": "The answer is {digit} ({probability:.0%} sure), from {name}.",
        "no_image": "No image was sent. Send a PNG, JPEG or WebP picture of a digit.",
        "blank_image": "The image is blank: there is no digit on it.",
        "wall_sent": "On the class wall as **{digit}**. Softmax regression said {softmax}, the MLP said {mlp}.",
        "wall_draw_first": "Draw a digit first, then tap the digit you meant.",
        "wall_bad_digit": "Tap one of the digits 0-9.",
        "wall_too_fast": "Too fast: wait {seconds:.1f} s, then tap again.",
        "wall_counts": "**{total}** drawings on the wall",
        "wall_shown": "showing the newest {shown} of {count}",
        "wall_empty": "No drawings on the wall yet. Students draw on the drawing page and tap the digit they meant.",
        "wall_accuracy": "{name}: **{wall}** on the class's drawings · {mnist} on the MNIST test set",
        "wall_cleared": "The wall is empty.",
        "wall_exported": "{count} drawings in the ZIP.",
        "wrong_password": "Wrong or missing teacher password.",
        "fine_tune_too_few": "The wall needs at least {needed} labelled drawings to fine-tune (it has {count}).",
        "fine_tune_busy": "A fine-tuning is already running on this server. Try again when it has finished.",
        "fine_tuning": "Fine-tuning a copy of {name} on {drawings} class drawings… {steps} steps, {seconds:.1f} s",
        "fine_tuned": "Copy of {name}: fine-tuned for {seconds:.1f} s ({steps} steps) on {drawings} class drawings{mixed}. On the {held} held-back drawings: **{before}** before → **{after}** after.{mnist}",
        "fine_tune_mixed": " and {images:,} MNIST images",
        "fine_tune_alone": " alone (no MNIST on this server)",
        "fine_tune_mnist": " On the MNIST test set: {before} → {after}.",
        "fine_tune_reset_done": "The fine-tuned copy is gone; the shipped models were never changed.",
        "fine_tune_none": "There is no fine-tuned copy.",
    },
    "ko": {
        "draw_first": "먼저 그림판에 숫자를 그려 주세요.",
        "agree": "두 모델 모두 **{digit}**(이)라고 봅니다.",
        "disagree": "**두 모델의 답이 다릅니다:** 소프트맥스 회귀는 **{softmax}**, MLP는 **{mlp}**.",
        "scores": "**{digit}**의 점수: {total:.2f} (지도의 합 {ink:.2f} + 편향 {bias:.2f}) · **{other}**의 점수: {other_total:.2f} ({other_ink:.2f} + {other_bias:.2f})",
        "mlp_answer": "MLP의 답은 **{digit}** ({probability:.0%})입니다. 이 그림에는 은닉 유닛 {units}개 중 {active}개가 활성입니다.",
        "no_data": "이 서버에는 MNIST 데이터 세트가 없어서(`{root}` 확인함) 이 탭에 보여 줄 것이 없습니다. 켜려면 MNIST IDX 파일 네 개를 한 폴더에 두고 `MNIST_DATA_DIR`을 그 폴더로 지정해 앱을 시작하거나, 인터넷에 연결된 상태에서 한 번 시작해 내려받게 하세요.",
        "test_digit": "테스트 숫자 #{index}: 실제 숫자 **{label}** · 소프트맥스 회귀의 답 **{softmax}** · MLP의 답 **{mlp}**",
        "mistakes_count": "이 조건에서 틀린 테스트 숫자: {total:,}개 중 **{count}**개 (모델: {name}, {shown}개 표시).",
        "busy": "지금 이 서버에서 다른 사람이 모델을 학습시키고 있습니다 (한 번에 하나). 잠시 후 다시 시도하세요.",
        "training": "{name} 학습 중: 에포크 {done:.1f}/{epochs}, {seconds:.0f}초 동안 이미지 {images:,}개 · 테스트 정확도 **{accuracy}**",
        "trained": "완료: {name}, {seconds:.0f}초 동안 이미지 {images:,}개 (에포크 {epochs}) · 테스트 정확도 **{accuracy}**",
        "stopped": "{done:.1f} 에포크 후 멈춤 (이미지 {images:,}개, {seconds:.0f}초) · 테스트 정확도 **{accuracy}**",
        "stopping": "멈추는 중…",
        "nothing_to_stop": "실행 중인 내 학습이 없습니다.",
        "loading": "MNIST 파일을 읽는 중…",
        "choose_settings": "모델, 에포크 수, 학습 이미지 수를 고르세요.",
        "draw_prompt": "숫자를 그려 보세요",
        "unknown_model": "모르는 모델입니다. softmax 또는 mlp를 고르세요.",
        "answer": "{name}의 답: {digit} (확률 {probability:.0%})",
        "no_image": "그림이 오지 않았습니다. 숫자를 담은 PNG, JPEG, WebP 그림을 보내 주세요.",
        "blank_image": "빈 그림입니다. 숫자가 없습니다.",
        "wall_sent": "학급 게시판에 **{digit}**(으)로 올렸습니다. 소프트맥스 회귀의 답 {softmax}, MLP의 답 {mlp}.",
        "wall_draw_first": "먼저 숫자를 그린 다음, 그리려던 숫자를 누르세요.",
        "wall_bad_digit": "0-9 중 숫자 하나를 누르세요.",
        "wall_too_fast": "너무 빠릅니다: {seconds:.1f}초 기다렸다가 다시 누르세요.",
        "wall_counts": "게시판의 그림 **{total}**개",
        "wall_shown": "{count}개 중 최신 {shown}개 표시",
        "wall_empty": "아직 게시판에 그림이 없습니다. 학생들이 그리기 페이지에서 그리고 그리려던 숫자를 누르면 올라옵니다.",
        "wall_accuracy": "{name}: 학급 그림 정확도 **{wall}** · MNIST 테스트 세트 {mnist}",
        "wall_cleared": "게시판을 비웠습니다.",
        "wall_exported": "ZIP에 그림 {count}개.",
        "wrong_password": "교사 비밀번호가 틀렸거나 없습니다.",
        "fine_tune_too_few": "미세 조정하려면 숫자를 붙인 그림이 적어도 {needed}개 필요합니다 (지금 {count}개).",
        "fine_tune_busy": "이 서버에서 이미 미세 조정이 실행 중입니다. 끝난 뒤 다시 시도하세요.",
        "fine_tuning": "{name} 복사본을 학급 그림 {drawings}개로 미세 조정 중… {steps}단계, {seconds:.1f}초",
        "fine_tuned": "{name} 복사본: 학급 그림 {drawings}개{mixed} {seconds:.1f}초 ({steps}단계) 미세 조정. 남겨 둔 그림 {held}개에서: 전 **{before}** → 후 **{after}**.{mnist}",
        "fine_tune_mixed": "와 MNIST 이미지 {images:,}개로",
        "fine_tune_alone": "만으로 (이 서버에는 MNIST가 없음)",
        "fine_tune_mnist": " MNIST 테스트 세트: {before} → {after}.",
        "fine_tune_reset_done": "미세 조정한 복사본을 버렸습니다. 배포된 모델은 바뀐 적이 없습니다.",
        "fine_tune_none": "미세 조정한 복사본이 없습니다.",
    },
}

# Model names inside MESSAGES, per language.
MODEL_NAMES = {
    "en": {"softmax": "softmax regression", "mlp": "the MLP"},
    "ko": {"softmax": "소프트맥스 회귀", "mlp": "MLP"},
}

# Why a picture could not be read (DrawingError.reason), in Korean; in English the library's own
# message says it, with the same figures.
KO_ERRORS = {
    "empty": "숫자를 그려 보세요",
    "not_an_image": "읽을 수 있는 그림 파일이 아닙니다. 숫자를 담은 PNG, JPEG, WebP 그림을 보내 주세요.",
    "file_too_large": "파일이 {limit} MB를 넘습니다. 더 작은 그림을 보내 주세요.",
    "too_many_pixels": "그림이 {size} 픽셀입니다. 가장 큰 그림은 {limit}메가픽셀(예: 4096×4096)입니다. 더 작은 그림을 보내 주세요.",
    "too_small": "그림이 {size} 픽셀입니다. 숫자를 담으려면 적어도 {limit} 픽셀이어야 합니다.",
    "damaged": "그림 파일이 손상되었거나 잘려서 읽을 수 없습니다.",
    "not_a_picture": "그림이 PNG, JPEG, WebP로 도착하지 않았습니다. 페이지를 새로 고치고 다시 그려 주세요.",
    "text_too_large": "그림 데이터가 {limit} MB를 넘습니다. 더 작은 그림을 보내 주세요.",
    "all_ink": "그림이 (거의) 전부 잉크라서 읽을 숫자가 없습니다. 밝은 종이에 어두운 펜으로 숫자를 써 주세요.",
    "unreadable": "이 입력에서는 숫자를 읽을 수 없습니다.",
    "photo_blank": "사진에서 어두운 글씨를 찾지 못했습니다. 밝은 종이에 어두운 펜이나 마커로 숫자를 쓰고, 밝은 곳에서 사진을 찍어 주세요.",
    "photo_dark": "사진의 대부분이 어두워서 숫자가 드러나지 않습니다. 밝은 종이에 쓴 숫자를, 종이가 화면을 채우도록 가까이에서 밝은 곳에서 찍어 주세요.",
    "photo_edge": "찾은 글씨가 사진 가장자리에 닿아 있습니다. 숫자 전체가 사진 안에 들어오고 둘레에 종이가 보이도록 찍어 주세요.",
    "photo_clutter": "사진에 숫자 하나가 아니라 여러 가지가 있습니다. 숫자 하나만, 둘레에 빈 종이가 보이도록 찍어 주세요.",
    "photo_small": "사진 속 숫자가 너무 작아서 읽을 수 없습니다. 숫자가 사진의 3분의 1쯤을 채우도록 가까이에서 찍어 주세요.",
}

LANGUAGES = ("en", "ko")


def viewer_language(request: gr.Request | None) -> str:
    """ "ko" for a browser that prefers Korean, else "en": the browser's first language, the one
    Gradio's own translations follow."""
    headers = getattr(request, "headers", None) or {}
    first = str(headers.get("accept-language", "")).split(",")[0].strip().lower()
    return "ko" if first.startswith("ko") else "en"


def say(key: str, language: str, model: str | None = None, **values) -> str:
    """A run-time message in ``language`` ("en" or "ko")."""
    language = language if language in LANGUAGES else "en"
    name = MODEL_NAMES[language].get(model, "") if model else ""
    return MESSAGES[language][key].format(name=name, **values)


def reading_error(error: Exception, language: str) -> str:
    """Why a picture or a model name was not accepted, in ``language``."""
    if isinstance(error, DrawingError):
        if language == "ko" and error.reason in KO_ERRORS:
            return KO_ERRORS[error.reason].format(**error.details)
        return str(error)
    return say("unknown_model", language)


def translations(metrics: dict[str, dict], device: str) -> gr.I18n:
    """The app's strings with this process's figures filled in (Gradio translates whole strings only):
    each model's accuracy on the MNIST test set and on the validation writers' pen digits, from the
    metrics shipped beside its weights."""
    figures = {name: m["test_accuracy"] for name, m in metrics.items()}
    figures |= {f"{name}_pen": m["pen_accuracy"] for name, m in metrics.items()}
    return gr.I18n(
        **{
            lang: {key: text.format(device=device, **figures) for key, text in table.items()}
            for lang, table in (("en", EN), ("ko", KO))
        }
    )


def pad_texts() -> dict[str, dict[str, str]]:
    """The drawing pad's words per language; the pad picks them in the browser, as Gradio does."""
    keys = {
        "label": "sketch_label",
        "hint": "pad_hint",
        "undo": "pad_undo",
        "clear": "pad_clear",
        "undo_label": "pad_undo_label",
        "clear_label": "pad_clear_label",
    }
    return {lang: {name: table[key] for name, key in keys.items()} for lang, table in (("en", EN), ("ko", KO))}
