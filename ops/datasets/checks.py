"""Every dataset check tunectl runs, by stable kebab-case code (docs and tests rely on the codes).

Errors make a file invalid (`tunectl dataset validate` exits 1); warnings are reported and do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Check:
    code: str
    severity: Severity
    summary: str


_E, _W = Severity.error, Severity.warning

CHECKS: dict[str, Check] = {
    c.code: c
    for c in (
        # The file as a whole
        Check("file-not-jsonl", _E, "a gs:// dataset must be a .jsonl object (Vertex AI rejects others)"),
        Check("file-too-large", _E, "the file is larger than the base model's training file limit"),
        Check("empty-file", _E, "the file holds no examples"),
        Check("too-few-examples", _W, "fewer training examples than the documented minimum"),
        Check("too-many-examples", _E, "more training examples than the base model allows"),
        Check("validation-too-large", _E, "the validation set has more examples than the base model allows"),
        Check(
            "too-many-multimodal-examples", _E, "more multimodal training examples than the base model allows"
        ),
        Check("unknown-model", _W, "the base model is not in the limits table: the default limits apply"),
        Check(
            "mixed-media-resolution", _E, "examples use different mediaResolution levels (Google needs one)"
        ),
        # Bytes and lines
        Check("invalid-utf8", _E, "the line is not valid UTF-8"),
        Check("utf8-bom", _E, "the file starts with a UTF-8 byte-order mark"),
        Check("blank-line", _E, "an empty or whitespace-only line (JSONL has one example per line)"),
        Check("json-syntax", _E, "the line is not one valid JSON value"),
        Check("not-an-object", _E, "the line is JSON but not an object"),
        # Structure
        Check("unknown-format", _E, "the object matches none of the supported dataset formats"),
        Check("mixed-formats", _E, "the line uses a different format from the file's first example"),
        Check("wrong-kind", _E, "the example is not of the kind asked for (--kind) or of the training file"),
        Check("missing-field", _E, "a required field is missing"),
        Check("unknown-field", _E, "a field the format does not define"),
        Check("wrong-type", _E, "a field has the wrong JSON type"),
        Check("empty-text", _E, "a text is empty or only whitespace"),
        Check("bad-role", _E, "a role other than user/model"),
        Check("roles-not-alternating", _E, "turns must start with user and alternate user/model"),
        Check("last-turn-not-model", _E, "a supervised example must end with a model turn"),
        Check("last-turn-not-user", _E, "a preference or reinforcement prompt must end with a user turn"),
        Check("bad-choice", _E, "`choice` must be 0 or 1"),
        Check("identical-candidates", _E, "both candidates (or completions) are the same text"),
        Check("bad-completion-scores", _E, "completions must be exactly two, one scored 1 and one scored 0"),
        Check("duplicate-field", _E, "a field is given in both spellings (lowerCamel and snake_case)"),
        Check("thought-part", _E, "a thought part: tuning data holds no model thoughts"),
        Check("inline-data", _E, "inlineData media: tuning documents media as fileData URIs only"),
        Check(
            "misplaced-function-part",
            _E,
            "functionCall outside a model turn or functionResponse outside a user turn",
        ),
        Check(
            "function-response-without-call",
            _W,
            "a functionResponse names no call of the model turn before it",
        ),
        Check(
            "undeclared-function", _W, "a functionCall names a function the example's tools do not declare"
        ),
        Check("multimodal-preference", _E, "preference tuning takes text only"),
        Check("missing-reference", _E, "a reinforcement example lacks a `references` key its reward reads"),
        Check("media-not-supported", _E, "a modality the base model does not take for reinforcement tuning"),
        # Media
        Check("unsupported-mime-type", _E, "a fileData MIME type Google does not document for tuning"),
        Check("bad-file-uri", _E, "a fileUri that is not gs://BUCKET/OBJECT (or an HTTP(S) URL)"),
        Check(
            "file-uri-not-gcs",
            _W,
            "an HTTP(S) fileUri: allowed, but fetched at training time and not checkable",
        ),
        Check("bad-duration", _E, 'a videoMetadata offset that is not a duration string like "12.5s"'),
        Check("too-much-media", _E, "more media in one example than the modality's tuning page allows"),
        Check("media-not-found", _E, "--check-uris: the referenced object does not exist or cannot be read"),
        Check(
            "media-type-mismatch",
            _W,
            "--check-uris: the object's content type differs from the example's mimeType",
        ),
        Check("media-too-large", _E, "--check-uris: the object is larger than the modality's file limit"),
        # Tokens
        Check("too-many-tokens", _E, "the example is over the base model's tokens-per-example limit"),
        Check(
            "count-tokens-refused",
            _E,
            "--counter vertex: CountTokens refused an example with media (e.g. an object it cannot read)",
        ),
        # Across examples and files
        Check("duplicate-example", _W, "the example repeats an earlier one exactly"),
        Check("near-duplicate-example", _W, "the example repeats an earlier one up to whitespace and case"),
        Check("train-validation-overlap", _E, "a validation example also appears in the training data"),
        Check("output-not-in-classes", _E, "a classification output outside the class set"),
        Check("class-imbalance", _W, "the most frequent class outnumbers the rarest by more than 10 to 1"),
    )
}


def severity(code: str) -> Severity:
    return CHECKS[code].severity
