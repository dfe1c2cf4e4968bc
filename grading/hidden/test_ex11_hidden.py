"""Hidden tests of ex11_transformers (instructor only): load_pretrained on a local folder
with a new head size, a tiny BERT (no pre_classifier, a pooler in the base) for
count_layers / describe / freeze_base, encode edge cases (a single string, the default
max_length, a tuple), LoRALinear with other r / alpha, no bias, dropout and gradients,
apply_lora on BERT and by full qualified name, LoRA training that leaves every other
weight bit-identical, class_weights with an empty class, balanced_sampler over three
classes with a generator, and trainable_fraction.

No download: tokenizer and models are built here and saved / loaded from tmp folders.
transformers is imported inside a fixture (it costs ~10 s), never at module level."""

from collections.abc import Mapping

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import WeightedRandomSampler

from grading.expect import (
    expect,
    expect_close,
    expect_equal,
    expect_shape,
    expect_type,
    fmt_number,
)
from grading.i18n import t
from grading.testkit import EX11_DIM as DIM
from grading.testkit import EX11_HIDDEN as HIDDEN
from grading.testkit import EX11_MAX_POS as MAX_POS
from grading.testkit import EX11_SCALE_HINT as SCALE_HINT
from grading.testkit import EX11_SPECIALS as SPECIALS
from grading.testkit import ex11_inner_linear as _inner_linear
from grading.testkit import ex11_lora_modules as _lora_modules
from grading.testkit import ex11_names as _names
from grading.testkit import ex11_tiny as _tiny
from grading.textdata import sentiment_sentences


@pytest.fixture(scope="module")
def hf():
    """transformers, imported once for the module, with its warnings and progress bars off."""
    import transformers
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    return transformers


def _vocab(texts: list[str]) -> dict[str, int]:
    """Special tokens, characters (alone and as ##piece), then every word of the corpus
    (deterministic, unlike WordPieceTrainer; see the public tests)."""
    from tokenizers import normalizers, pre_tokenizers

    norm, pre = normalizers.BertNormalizer(lowercase=True), pre_tokenizers.BertPreTokenizer()
    words = sorted({w for s in texts for w, _ in pre.pre_tokenize_str(norm.normalize_str(s))})
    chars = sorted({c for w in words for c in w})
    tokens = SPECIALS + chars + [f"##{c}" for c in chars] + [w for w in words if len(w) > 1]
    return {tok: i for i, tok in enumerate(tokens)}


@pytest.fixture(scope="module")
def tok(hf, tmp_path_factory):
    """A real DistilBERT WordPiece tokenizer, saved with save_pretrained and loaded back."""
    vocab = _vocab([s for s, _ in sentiment_sentences()])
    folder = tmp_path_factory.mktemp("ex11_hidden_tokenizer")
    hf.DistilBertTokenizerFast(vocab=vocab, model_max_length=MAX_POS).save_pretrained(folder)
    return hf.AutoTokenizer.from_pretrained(folder)


def _tiny_bert(hf, tok, seed: int = 0, layers: int = 3) -> nn.Module:
    """A tiny BertForSequenceClassification: head = classifier only, bert.pooler in the base."""
    config = hf.BertConfig(vocab_size=len(tok), hidden_size=DIM, num_hidden_layers=layers,
                           num_attention_heads=2, intermediate_size=HIDDEN,
                           max_position_embeddings=MAX_POS, pad_token_id=tok.pad_token_id)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return hf.BertForSequenceClassification(config)


def _enc(tok, n: int = 4, start: int = 0):
    texts = [s for s, _ in sentiment_sentences()[start:start + n]]
    return tok(texts, padding=True, return_tensors="pt")


# --- load_pretrained -------------------------------------------------------------------


@pytest.mark.points(1)
def test_load_pretrained_local_folder(ex, hf, tok, tmp_path):
    """load_pretrained : dossier local (base sans tête) → tokenizer et modèle à 3 sorties"""
    folder = tmp_path / "tiny-distilbert"
    base = _tiny(hf, tok, seed=3).distilbert
    base.save_pretrained(folder)
    tok.save_pretrained(folder)
    saved = {n: p.detach().clone() for n, p in base.named_parameters()}
    result = ex.load_pretrained(str(folder), num_labels=3)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           what=t("résultat de load_pretrained(dossier, num_labels=3)",
                  "result of load_pretrained(folder, num_labels=3)"),
           expected=t("un couple (tokenizer, model)", "a pair (tokenizer, model)"),
           got=type(result).__name__, todo="load_pretrained",
           hint=t("return tokenizer, model (dans cet ordre)", "return tokenizer, model "
                  "(in that order)"))
    tokenizer, model = result
    expect_type(model, nn.Module, what=t("modèle renvoyé par load_pretrained",
                                         "model returned by load_pretrained"),
                todo="load_pretrained",
                hint=t("AutoModelForSequenceClassification.from_pretrained(name, "
                       "num_labels=num_labels)", "AutoModelForSequenceClassification."
                       "from_pretrained(name, num_labels=num_labels)"))
    texts = [s for s, _ in sentiment_sentences()[:2]]
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    want = tok(texts, padding=True, return_tensors="pt")
    expect(torch.equal(enc["input_ids"], want["input_ids"]),
           what=t("tokenizer renvoyé par load_pretrained", "tokenizer returned by load_pretrained"),
           expected=t("celui du dossier (mêmes identifiants de jetons)",
                      "the folder's own (same token ids)"),
           got=str(enc["input_ids"][0].tolist()[:8]), todo="load_pretrained",
           hint=t("AutoTokenizer.from_pretrained(name) avec le même name que le modèle",
                  "AutoTokenizer.from_pretrained(name) with the same name as the model"))
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
    expect_shape(logits, (2, 3), what=t("logits du modèle chargé pour 2 phrases",
                                        "logits of the loaded model for 2 sentences"),
                 todo="load_pretrained",
                 hint=t("transmettez num_labels à from_pretrained : la tête est créée avec "
                        "num_labels sorties", "pass num_labels to from_pretrained: the head "
                        "is created with num_labels outputs"))
    loaded = dict(model.base_model.named_parameters())
    differ = [n for n, p in saved.items() if n not in loaded or not torch.equal(loaded[n], p)]
    expect(not differ, what=t("poids de la base chargée", "weights of the loaded base"),
           expected=t("ceux enregistrés dans le dossier", "those saved in the folder"),
           got=t(f"différents : {_names(differ)}", f"different: {_names(differ)}"),
           todo="load_pretrained",
           hint=t("from_pretrained(name, ...) : chargez les poids du dossier, ne construisez "
                  "pas un modèle neuf depuis une configuration",
                  "from_pretrained(name, ...): load the folder's weights, do not build a "
                  "new model from a configuration"))


# --- count_layers, describe, freeze_base on BERT ----------------------------------------


@pytest.mark.points(1)
def test_bert_count_describe_freeze(ex, hf, tok):
    """BERT (sans pre_classifier) : count_layers, describe, freeze_base ne garde que classifier"""
    bert = _tiny_bert(hf, tok, layers=3)
    expect_equal(ex.count_layers(bert), 3, what=t("count_layers d'un BERT à 3 blocs",
                                                   "count_layers of a 3-block BERT"),
                 todo="count_layers",
                 hint=t("blocs transformer : model.config.num_hidden_layers ou la longueur de "
                        "model.bert.encoder.layer (la plus longue nn.ModuleList), pas le "
                        "nombre de modules", "transformer blocks: model.config."
                        "num_hidden_layers or the length of model.bert.encoder.layer (the "
                        "longest nn.ModuleList), not the number of modules"))
    one = _tiny(hf, tok, layers=1)
    expect_equal(ex.count_layers(one), 1, what=t("count_layers d'un DistilBERT à 1 bloc",
                                                  "count_layers of a 1-block DistilBERT"),
                 todo="count_layers", hint=t("on compte des blocs, pas des modules",
                                             "count blocks, not modules"))
    want = [(n, tuple(p.shape)) for n, p in bert.named_parameters()]
    got = [(item[0], tuple(int(s) for s in item[1])) for item in ex.describe(bert)]
    expect(got == want, what=t("describe d'un BERT", "describe of a BERT"),
           expected=t(f"{len(want)} couples (nom, forme), dont {want[-1]}",
                      f"{len(want)} (name, shape) pairs, including {want[-1]}"),
           got=t(f"{len(got)} couples", f"{len(got)} pairs"), todo="describe",
           hint=t("(nom, tuple(param.shape)) pour chaque paramètre de named_parameters()",
                  "(name, tuple(param.shape)) for each parameter of named_parameters()"))
    before = {n: p.detach().clone() for n, p in bert.named_parameters()}
    returned = ex.freeze_base(bert)
    expect(returned is bert, what=t("valeur renvoyée par freeze_base(bert)",
                                    "value returned by freeze_base(bert)"),
           expected=t("le même objet", "the same object"), got=type(returned).__name__,
           todo="freeze_base", hint=t("return model", "return model"))
    trainable = sorted(n for n, p in bert.named_parameters() if p.requires_grad)
    expect(trainable == ["classifier.bias", "classifier.weight"],
           what=t("paramètres entraînables d'un BERT après freeze_base",
                  "trainable parameters of a BERT after freeze_base"),
           expected="classifier.weight, classifier.bias",
           got=_names(trainable) or t("aucun", "none"), todo="freeze_base",
           hint=t("sans pre_classifier, la tête est classifier seul ; bert.pooler fait "
                  "partie de la base (gelé) ; ne supposez pas que pre_classifier existe",
                  "without pre_classifier the head is classifier alone; bert.pooler is part "
                  "of the base (frozen); do not assume pre_classifier exists"))
    changed = [n for n, p in bert.named_parameters() if not torch.equal(p, before[n])]
    expect(not changed, what=t("valeurs des paramètres du BERT après freeze_base",
                               "BERT parameter values after freeze_base"),
           expected=t("inchangées", "unchanged"), got=_names(changed), todo="freeze_base",
           hint=t("ne changez que requires_grad", "only change requires_grad"))


# --- encode ----------------------------------------------------------------------------


def _check_encode(enc, tok, texts: list[str], max_length: int, label: str,
                  widths: tuple[int, ...]) -> None:
    expect(isinstance(enc, Mapping) and "input_ids" in enc and "attention_mask" in enc,
           what=t(f"résultat de encode ({label})", f"result of encode ({label})"),
           expected=t("un Mapping avec input_ids et attention_mask",
                      "a Mapping with input_ids and attention_mask"),
           got=type(enc).__name__, todo="encode",
           hint=t("renvoyez le BatchEncoding du tokenizer, attention_mask compris",
                  "return the tokenizer's BatchEncoding, attention_mask included"))
    ids, mask = enc["input_ids"], enc["attention_mask"]
    expect(isinstance(ids, torch.Tensor) and isinstance(mask, torch.Tensor)
           and ids.dim() == 2 and ids.shape == mask.shape and ids.shape[0] == len(texts)
           and ids.shape[1] in widths,
           what=t(f"forme de input_ids ({label})", f"shape of input_ids ({label})"),
           expected=t(f"[{len(texts)}, L] avec L dans {list(widths)}",
                      f"[{len(texts)}, L] with L in {list(widths)}"),
           got=str(tuple(getattr(ids, "shape", ()))), todo="encode",
           hint=t("return_tensors=\"pt\", padding, truncation=True et max_length=max_length ; "
                  "une chaîne seule est un lot d'un texte",
                  "return_tensors=\"pt\", padding, truncation=True and max_length=max_length; "
                  "a single string is a batch of one text"))
    for i, text in enumerate(texts):
        own = tok(text, truncation=True, max_length=max_length)["input_ids"]
        expect(int(mask[i].sum()) == len(own) and ids[i][mask[i] == 1].tolist() == own,
               what=t(f"jetons du texte n° {i} ({label})", f"tokens of text #{i} ({label})"),
               expected=str(own), got=str(ids[i].tolist()), todo="encode",
               hint=t("gardez input_ids et attention_mask du tokenizer, tronqués à max_length",
                      "keep the tokenizer's input_ids and attention_mask, truncated to "
                      "max_length"))


@pytest.mark.points(1)
def test_encode_edge_cases(ex, tok):
    """encode : une chaîne seule, max_length par défaut (64), un tuple de textes et max_length=8"""
    text = "What a lovely, quiet day."
    own = len(tok(text)["input_ids"])
    _check_encode(ex.encode(tok, text), tok, [text], 64, t("une chaîne seule", "a single string"),
                  (own, 64))
    story = " ".join(s for s, _ in sentiment_sentences()[:30])  # ~300 tokens
    _check_encode(ex.encode(tok, [story, text]), tok, [story, text], 64,
                  t("texte de ~300 jetons, max_length par défaut",
                    "a ~300-token text, default max_length"), (64,))
    texts = tuple(s for s, _ in sentiment_sentences()[10:14])
    _check_encode(ex.encode(tok, texts, max_length=8), tok, list(texts), 8,
                  t("tuple de 4 textes, max_length=8", "tuple of 4 texts, max_length=8"), (8,))


# --- LoRALinear ------------------------------------------------------------------------


def _set_lora(lora, r: int, fin: int, fout: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    for name, shape in (("A", (r, fin)), ("B", (fout, r))):
        value = getattr(lora, name, None)
        expect(isinstance(value, nn.Parameter) and tuple(value.shape) == shape,
               what=t(f"attribut {name} de LoRALinear(r={r})", f"attribute {name} of "
                      f"LoRALinear(r={r})"),
               expected=t(f"nn.Parameter de forme {shape}", f"nn.Parameter of shape {shape}"),
               got=f"{type(value).__name__} {tuple(getattr(value, 'shape', ()))}",
               todo="LoRALinear.__init__",
               hint=t("A : [r, in_features], B : [out_features, r]",
                      "A: [r, in_features], B: [out_features, r]"))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        lora.A.copy_(torch.randn(r, fin, generator=g))
        lora.B.copy_(torch.randn(fout, r, generator=g))
    return lora.A.detach().clone(), lora.B.detach().clone()


@pytest.mark.points(1)
def test_lora_linear_other_ranks(ex):
    """LoRALinear : r=2, alpha=3 (échelle 1,5), défauts r=8, alpha=16, sans biais, entrée 3D"""
    base = nn.Linear(10, 6, bias=False)
    lora = ex.LoRALinear(base, r=2, alpha=3)
    trainable = [n for n, p in lora.named_parameters() if p.requires_grad]
    expect(sorted(trainable) == ["A", "B"] and not base.weight.requires_grad,
           what=t("paramètres entraînables de LoRALinear(Linear(10, 6, bias=False), r=2)",
                  "trainable parameters of LoRALinear(Linear(10, 6, bias=False), r=2)"),
           expected="A, B", got=_names(trainable) or t("aucun", "none"),
           todo="LoRALinear.__init__",
           hint=t("gelez la couche de base (elle peut ne pas avoir de biais) et gardez-la "
                  "telle quelle", "freeze the base layer (it may have no bias) and keep it "
                  "as it is"))
    A, B = _set_lora(lora, 2, 10, 6, seed=5)
    x = torch.randn(3, 4, 10)
    with torch.no_grad():
        out = lora(x)
        want = x @ base.weight.T + x @ A.T @ B.T * 1.5
    expect_close(out, want, what=t("sortie de LoRALinear(r=2, alpha=3), entrée [3, 4, 10]",
                                   "output of LoRALinear(r=2, alpha=3), input [3, 4, 10]"),
                 todo="LoRALinear.forward", atol=1e-4, hint=SCALE_HINT)
    base = nn.Linear(12, 5)
    lora = ex.LoRALinear(base)
    A, B = _set_lora(lora, 8, 12, 5, seed=6)
    x = torch.randn(7, 12)
    with torch.no_grad():
        out = lora(x)
        want = base(x) + x @ A.T @ B.T * 2.0
    expect_close(out, want, what=t("sortie de LoRALinear(base) (défauts r=8, alpha=16)",
                                   "output of LoRALinear(base) (defaults r=8, alpha=16)"),
                 todo="LoRALinear.forward", atol=1e-4,
                 hint=t("gardez les défauts de la signature (r=8, alpha=16) ; ", "keep the "
                        "signature's defaults (r=8, alpha=16); ") + SCALE_HINT)


@pytest.mark.points(1)
def test_lora_linear_dropout_and_gradients(ex):
    """LoRALinear : dropout sur la seule branche LoRA, gradient sur B mais pas sur la base"""
    base = nn.Linear(12, 5)
    lora = ex.LoRALinear(base, r=3, alpha=6, dropout=0.5)
    x = torch.randn(64, 12)
    lora.train()
    with torch.no_grad():
        out = lora(x)
        plain = base(x)
    expect_close(out, plain, what=t("sortie en mode train avec dropout=0.5 et B = 0",
                                    "output in train mode with dropout=0.5 and B = 0"),
                 todo="LoRALinear.forward", atol=1e-6,
                 hint=t("le dropout ne s'applique qu'à l'entrée de la branche LoRA "
                        "(dropout(x) @ A.T @ B.T), jamais à base(x) ; B doit être nul au départ",
                        "dropout only applies to the LoRA branch's input "
                        "(dropout(x) @ A.T @ B.T), never to base(x); B must start at zero"))
    A, B = _set_lora(lora, 3, 12, 5, seed=7)
    lora.eval()
    with torch.no_grad():
        evaluated = lora(x)
    expect_close(evaluated, plain + x @ A.T @ B.T * 2.0,
                 what=t("sortie en mode eval avec dropout=0.5 (A et B fixés)",
                        "output in eval mode with dropout=0.5 (A and B set)"),
                 todo="LoRALinear.forward", atol=1e-4,
                 hint=t("nn.Dropout(dropout) sur la branche LoRA : en mode eval, il ne fait "
                        "rien ; ", "nn.Dropout(dropout) on the LoRA branch: in eval mode it "
                        "does nothing; ") + SCALE_HINT)
    lora.train()
    with torch.no_grad():
        trained = lora(x)
    expect(not torch.allclose(trained, evaluated),
           what=t("sortie en mode train avec dropout=0.5 (A et B fixés)",
                  "output in train mode with dropout=0.5 (A and B set)"),
           expected=t("différente du mode eval (dropout actif)",
                      "different from eval mode (dropout active)"),
           got=t("identique au mode eval", "the same as in eval mode"),
           todo="LoRALinear.__init__",
           hint=t("utilisez le paramètre dropout : nn.Dropout(dropout) sur l'entrée de la "
                  "branche LoRA", "use the dropout argument: nn.Dropout(dropout) on the "
                  "LoRA branch's input"))
    base = nn.Linear(12, 5)
    lora = ex.LoRALinear(base, r=3, alpha=6)
    F.mse_loss(lora(x), torch.randn(64, 5)).backward()
    expect(base.weight.grad is None and lora.B.grad is not None
           and float(lora.B.grad.abs().sum()) > 0,
           what=t("gradients après backward, à l'initialisation",
                  "gradients after backward, at initialisation"),
           expected=t("aucun gradient pour le poids de base, un gradient non nul pour B",
                      "no gradient for the base weight, a non-zero gradient for B"),
           got=t(f"base : {'aucun' if base.weight.grad is None else 'calculé'} ; B : "
                 f"{'aucun' if lora.B.grad is None else 'calculé'}",
                 f"base: {'none' if base.weight.grad is None else 'computed'}; B: "
                 f"{'none' if lora.B.grad is None else 'computed'}"),
           todo="LoRALinear.__init__",
           hint=t("gelez la couche de base (requires_grad=False) et utilisez A et B dans "
                  "forward, A initialisé au hasard", "freeze the base layer "
                  "(requires_grad=False) and use A and B in forward, A initialised at random"))


# --- apply_lora ------------------------------------------------------------------------


def _apply_and_check(ex, model, enc, targets, r: int, alpha: float,
                     paths: list[str]) -> None:
    shapes = {n: (m.in_features, m.out_features) for n, m in model.named_modules()
              if n in paths}
    model.eval()
    with torch.no_grad():
        before = model(**enc).logits
    ex.apply_lora(model, targets, r=r, alpha=alpha)
    wrapped = _lora_modules(ex, model)
    expect(sorted(wrapped) == sorted(paths),
           what=t(f"modules remplacés par apply_lora(model, {list(targets)!r})",
                  f"modules replaced by apply_lora(model, {list(targets)!r})"),
           expected=t(f"{len(paths)} LoRALinear : {_names(sorted(paths), 2)}",
                      f"{len(paths)} LoRALinear: {_names(sorted(paths), 2)}"),
           got=t(f"{len(wrapped)} LoRALinear : {_names(sorted(wrapped), 2) or 'aucune'}",
                 f"{len(wrapped)} LoRALinear: {_names(sorted(wrapped), 2) or 'none'}"),
           todo="apply_lora",
           hint=t("un nn.Linear est visé si le dernier composant de son nom qualifié, ou son "
                  "nom complet, est dans target_names",
                  "an nn.Linear is targeted when its qualified name's last component, or "
                  "its full name, is in target_names"))
    want = sum(r * (fin + fout) for fin, fout in shapes.values())
    lora_ids = {id(m.A) for m in wrapped.values()} | {id(m.B) for m in wrapped.values()}
    others = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in lora_ids]
    got = sum(p.numel() for p in model.parameters() if p.requires_grad)
    expect(not others and got == want,
           what=t("valeurs entraînables après apply_lora", "trainable values after apply_lora"),
           expected=t(f"{fmt_number(want)} (seuls les A et B)", f"{fmt_number(want)} (only the "
                      "A and B)"),
           got=t(f"{fmt_number(got)} ; autres entraînables : {_names(others) or 'aucun'}",
                 f"{fmt_number(got)}; other trainable: {_names(others) or 'none'}"),
           todo="apply_lora",
           hint=t("gelez tout (tête comprise) puis rendez entraînables les seuls A et B, avec "
                  "le r demandé", "freeze everything (head included) then make only the A "
                  "and B trainable, with the requested r"))
    with torch.no_grad():
        after = model(**enc).logits
    expect_close(after, before, what=t("sortie du modèle juste après apply_lora",
                                       "model output right after apply_lora"),
                 todo="apply_lora", atol=1e-5,
                 hint=t("B nul au départ : la sortie ne change pas", "B starts at zero: the "
                        "output does not change"))
    total = sum(p.numel() for p in model.parameters())
    expect_close(ex.trainable_fraction(model), want / total,
                 what=t("trainable_fraction après apply_lora",
                        "trainable_fraction after apply_lora"),
                 todo="trainable_fraction", atol=1e-9,
                 hint=t(f"{want} / {total} : valeurs (numel), pas tenseurs",
                        f"{want} / {total}: values (numel), not tensors"))


@pytest.mark.points(1)
def test_apply_lora_bert_and_full_name(ex, hf, tok):
    """apply_lora : query/value d'un BERT à 3 blocs (r=2), puis un module par nom complet"""
    bert = _tiny_bert(hf, tok, layers=3)
    paths = [f"bert.encoder.layer.{i}.attention.self.{n}" for i in range(3)
             for n in ("query", "value")]
    _apply_and_check(ex, bert, _enc(tok), ["query", "value"], 2, 4, paths)
    model = _tiny(hf, tok, seed=2)
    path = "distilbert.transformer.layer.1.attention.q_lin"
    _apply_and_check(ex, model, _enc(tok, start=4), [path], 4, 8, [path])


@pytest.mark.points(1)
def test_apply_lora_training_moves_only_lora(ex, hf, tok):
    """apply_lora puis Adam : la perte baisse, seuls les A et B bougent, tout le reste intact"""
    # Weights drawn with std 0.2 (initializer_range; transformers' default 0.02 makes the
    # tiny random model's [CLS] features nearly constant, and LoRA alone then cannot move the
    # loss). Measured with the reference over 8 seeds: after 20 steps the loss is 2-13 % of
    # its start; the test asks for < 50 %.
    model = _tiny(hf, tok, seed=4, initializer_range=0.2)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    ex.apply_lora(model, ["q_lin", "v_lin", "out_lin"], r=4, alpha=8)
    wrapped = _lora_modules(ex, model)
    start = {id(p): p.detach().clone() for m in wrapped.values() for p in (m.A, m.B)}
    enc = _enc(tok, n=16, start=20)
    y = torch.tensor([label for _, label in sentiment_sentences()[20:36]])
    lora_params = [p for m in wrapped.values() for p in (m.A, m.B) if p.requires_grad]
    expect(len(lora_params) == 2 * len(wrapped) > 0,
           what=t("A et B entraînables après apply_lora", "trainable A and B after apply_lora"),
           expected=t(f"{2 * len(wrapped)} tenseurs (A et B des {len(wrapped)} LoRALinear)",
                      f"{2 * len(wrapped)} tensors (A and B of the {len(wrapped)} LoRALinear)"),
           got=str(len(lora_params)), todo="apply_lora",
           hint=t("rendez entraînables les A et B après avoir tout gelé",
                  "make the A and B trainable after freezing everything"))
    optimizer = torch.optim.Adam(lora_params, lr=1e-2)
    model.eval()  # no dropout: the loss curve depends on the LoRA weights only
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(**enc).logits, y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    expect(losses[-1] < 0.5 * losses[0],
           what=t("perte après 20 pas d'Adam sur les seuls A et B",
                  "loss after 20 Adam steps on the A and B alone"),
           expected=t(f"< {0.5 * losses[0]:.3g} (la moitié de la perte de départ)",
                      f"< {0.5 * losses[0]:.3g} (half the starting loss)"),
           got=f"{losses[-1]:.3g}", todo="LoRALinear.forward",
           hint=t("la branche LoRA doit compter dans forward : "
                  "base(x) + dropout(x) @ A.T @ B.T * (alpha / r)",
                  "the LoRA branch must count in forward: "
                  "base(x) + dropout(x) @ A.T @ B.T * (alpha / r)"))
    moved = []
    for name, param in model.named_parameters():
        if id(param) in start:
            continue
        owner = next((p for p in wrapped if name.startswith(p + ".")), None)
        if owner is not None:  # the frozen base inside a LoRALinear: compare with the original
            inner = _inner_linear(wrapped[owner])
            key = f"{owner}.{name.rsplit('.', 1)[-1]}"
            same = inner is not None and key in before and torch.equal(param, before[key])
        else:
            same = name in before and torch.equal(param, before[name])
        if not same:
            moved.append(name)
    expect(not moved, what=t("poids hors LoRA après 20 pas d'Adam",
                             "non-LoRA weights after 20 Adam steps"),
           expected=t("identiques au bit près", "bit-identical"),
           got=t(f"modifiés : {_names(moved)}", f"changed: {_names(moved)}"),
           todo="apply_lora",
           hint=t("seuls les A et B sont entraînables : gelez tout le reste, tête et couche "
                  "de base de chaque LoRALinear comprises", "only the A and B are trainable: "
                  "freeze everything else, head and each LoRALinear's base layer included"))
    still = [n for n, m in wrapped.items() if torch.equal(m.A, start[id(m.A)])
             or torch.equal(m.B, start[id(m.B)])]
    expect(not still, what=t("A et B de chaque LoRALinear après 20 pas",
                             "A and B of each LoRALinear after 20 steps"),
           expected=t("tous modifiés", "all changed"),
           got=t(f"inchangés dans : {_names(still)}", f"unchanged in: {_names(still)}"),
           todo="apply_lora",
           hint=t("requires_grad=True sur les A et B de chaque LoRALinear, A au hasard",
                  "requires_grad=True on the A and B of every LoRALinear, A at random"))


# --- class_weights, balanced_sampler, trainable_fraction --------------------------------


@pytest.mark.points(1)
def test_class_weights_empty_class(ex):
    """class_weights : classe sans exemple (poids fini), 5 classes, tenseur non modifié"""
    counts = [5, 0, 15, 30, 0]
    labels = torch.tensor([c for c, n in enumerate(counts) for _ in range(n)])[
        torch.randperm(50, generator=torch.Generator().manual_seed(3))]
    copy = labels.clone()
    got = ex.class_weights(labels, 5)
    expect_shape(got, (5,), what=t("class_weights(labels, 5)", "class_weights(labels, 5)"),
                 todo="class_weights",
                 hint=t("un poids par classe, y compris les classes absentes (minlength)",
                        "one weight per class, absent classes included (minlength)"))
    expect(got.is_floating_point() and bool(torch.isfinite(got).all()) and bool((got >= 0).all()),
           what=t("class_weights avec une classe sans exemple",
                  "class_weights with a class that has no sample"),
           expected=t("des poids finis (0 pour une classe sans exemple)",
                      "finite weights (0 for a class with no sample)"),
           got=str([round(float(w), 4) for w in got]), todo="class_weights",
           hint=t("une classe sans exemple reçoit 0 : ne divisez que par les effectifs non nuls",
                  "a class with no sample gets 0: only divide by non-zero counts"))
    products = [float(got[c]) * n for c, n in enumerate(counts) if n]
    expect(min(products) > 0 and max(products) - min(products) <= 1e-4 * max(products),
           what=t(f"class_weights pour les effectifs {counts}",
                  f"class_weights for the counts {counts}"),
           expected=t("w_c proportionnel à 1 / n_c sur les classes présentes",
                      "w_c proportional to 1 / n_c over the classes present"),
           got=str([round(float(w), 4) for w in got]), todo="class_weights",
           hint=t("inverse de l'effectif : w_c = N / (C · n_c)",
                  "inverse class frequency: w_c = N / (C · n_c)"))
    expect(torch.equal(labels, copy), what=t("étiquettes après class_weights",
                                             "labels after class_weights"),
           expected=t("inchangées", "unchanged"), got=t("modifiées", "changed"),
           todo="class_weights", hint=t("ne modifiez pas labels", "do not change labels"))


@pytest.mark.points(1)
def test_balanced_sampler_three_classes_generator(ex):
    """balanced_sampler : 70/20/10 % sur 3 classes → 33 % ± 5 % chacune ; generator reproductible"""
    # 3,000 draws: standard deviation 0.9 point per class, so ± 5 points is > 5 sigma.
    counts = [2100, 600, 300]
    labels = torch.tensor([c for c, n in enumerate(counts) for _ in range(n)])[
        torch.randperm(3000, generator=torch.Generator().manual_seed(4))]
    sampler = ex.balanced_sampler(labels, generator=torch.Generator().manual_seed(7))
    expect_type(sampler, WeightedRandomSampler, what=t("résultat de balanced_sampler",
                                                       "result of balanced_sampler"),
                todo="balanced_sampler", hint=t("un WeightedRandomSampler",
                                                "a WeightedRandomSampler"))
    weights = torch.as_tensor(sampler.weights, dtype=torch.float64)
    expect(weights.numel() == 3000, what=t("poids du sampler", "sampler weights"),
           expected=t("3 000 poids (un poids par exemple)", "3,000 weights (one weight per "
                      "sample)"), got=str(weights.numel()), todo="balanced_sampler",
           hint=t("un poids par exemple, pas un par classe", "one weight per sample, not "
                  "one per class"))
    scaled = weights * torch.tensor(counts, dtype=torch.float64)[labels]
    expect(float(scaled.max() - scaled.min()) <= 1e-6 * float(scaled.max()),
           what=t("poids par exemple × effectif de sa classe",
                  "per-sample weight × its class count"),
           expected=t("constant (poids = 1 / n_c)", "constant (weight = 1 / n_c)"),
           got=f"{float(scaled.min()):.4g} … {float(scaled.max()):.4g}", todo="balanced_sampler",
           hint=t("l'exemple i reçoit 1 / n_{labels[i]}", "sample i gets 1 / n_{labels[i]}"))
    drawn = torch.tensor([int(i) for i in sampler])
    freq = [float((labels[drawn] == c).float().mean()) for c in range(3)]
    expect(len(drawn) == 3000 and all(abs(f - 1 / 3) <= 0.05 for f in freq),
           what=t("fréquences des classes tirées (effectifs 2100/600/300)",
                  "frequencies of the drawn classes (counts 2100/600/300)"),
           expected=t("3 000 tirages, 33 % ± 5 % par classe", "3,000 draws, 33% ± 5% per class"),
           got=t(f"{len(drawn)} tirages : ", f"{len(drawn)} draws: ")
               + ", ".join(f"{f:.1%}" for f in freq),
           todo="balanced_sampler",
           hint=t("num_samples=len(labels), replacement=True, un poids 1 / n_c par exemple",
                  "num_samples=len(labels), replacement=True, one weight 1 / n_c per sample"))
    runs = [[int(i) for i in ex.balanced_sampler(labels, generator=torch.Generator()
                                                 .manual_seed(seed))] for seed in (11, 11, 12)]
    expect(runs[0] == runs[1] and runs[0] != runs[2],
           what=t("tirages avec generator=torch.Generator().manual_seed(11), deux fois",
                  "draws with generator=torch.Generator().manual_seed(11), twice"),
           expected=t("identiques (et différents avec la graine 12)",
                      "identical (and different with seed 12)"),
           got=t("différents" if runs[0] != runs[1] else "identiques avec la graine 12",
                 "different" if runs[0] != runs[1] else "identical with seed 12"),
           todo="balanced_sampler",
           hint=t("transmettez generator au WeightedRandomSampler (generator=generator)",
                  "pass generator on to the WeightedRandomSampler (generator=generator)"))


@pytest.mark.points(1)
def test_trainable_fraction_counts_values(ex):
    """trainable_fraction : valeurs entraînables / total (numel), 0 sans paramètre"""
    model = nn.Sequential(nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 2))
    expect_close(ex.trainable_fraction(model), 1.0,
                 what=t("trainable_fraction d'un modèle tout entraînable",
                        "trainable_fraction of a fully trainable model"),
                 todo="trainable_fraction", atol=1e-9,
                 hint=t("valeurs entraînables / valeurs totales", "trainable values / all values"))
    model[0].requires_grad_(False)
    expect_close(ex.trainable_fraction(model), 22 / 132,
                 what=t("trainable_fraction, Linear(10, 10) gelée puis Linear(10, 2)",
                        "trainable_fraction, frozen Linear(10, 10) then Linear(10, 2)"),
                 todo="trainable_fraction", atol=1e-9,
                 hint=t("comptez des valeurs (p.numel()), pas des tenseurs : 22 / 132",
                        "count values (p.numel()), not tensors: 22 / 132"))
    model.requires_grad_(False)
    expect_close(ex.trainable_fraction(model), 0.0,
                 what=t("trainable_fraction d'un modèle tout gelé",
                        "trainable_fraction of a fully frozen model"),
                 todo="trainable_fraction", atol=1e-12)
    expect_close(ex.trainable_fraction(nn.ReLU()), 0.0,
                 what=t("trainable_fraction(nn.ReLU()) (aucun paramètre)",
                        "trainable_fraction(nn.ReLU()) (no parameter)"),
                 todo="trainable_fraction", atol=1e-12,
                 hint=t("sans paramètre, renvoyez 0.0 (pas de division par zéro)",
                        "with no parameter, return 0.0 (no division by zero)"))
