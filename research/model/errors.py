"""The one error type the pipeline raises for bad input; train.py turns it into exit code 2."""

from __future__ import annotations


class TrainInputError(Exception):
    """Bad input data or arguments. The message names the file, the column and the value seen."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.name = "TrainInputError"
