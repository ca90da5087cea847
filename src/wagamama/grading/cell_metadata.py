"""nbgrader's cell metadata check, with the schema compiled once per grading process.

nbgrader's ``CheckCellMetadata`` validates every cell with ``jsonschema.validate``, which checks the
schema itself again for every cell, twice per notebook. This subclass (selected in the cohort's
``nbgrader_config.py``) validates against one compiled validator: the same checks, the same errors.
"""

from __future__ import annotations

import functools
import json
import traceback

import jsonschema
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import CheckCellMetadata


@functools.cache
def _compiled(schema_json: str):
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _Validator(MetadataValidator):
    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        version = cell.metadata["nbgrader"].get("schema_version", 0)
        if version != self.schema_version:
            return super().validate_cell(cell)  # nbgrader's own messages for too old or too new
        error = jsonschema.exceptions.best_match(
            _compiled(json.dumps(self.schema, sort_keys=True)).iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


@functools.cache
def _validator() -> _Validator:
    return _Validator()


class CheckCellMetadataOnce(CheckCellMetadata):
    def preprocess(self, nb, resources):
        try:
            _validator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources
