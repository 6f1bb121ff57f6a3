"""The benchmark's task rows: the training step's throughput measured on a tiny
batch, and the tables the report makes of any rows."""
from __future__ import annotations

from benchmark.report import task_tables
from benchmark.tasks import TASK_ROWS
from benchmark.training import training_throughput


def test_training_throughput_times_the_compiled_shape():
    record = training_throughput("hist", batch_size=8, steps=2, max_len=4)
    assert record["program"] == "hist" and record["batch_size"] == 8 and record["steps_timed"] == 2
    assert record["shape"]["heads"] == [1]          # hist compiles to one layer with one head
    assert record["sequences_per_second"] > 0 and record["step_ms"] > 0


def test_every_training_program_has_a_row():
    assert {"training hist", "training sort"} <= set(TASK_ROWS)


def test_task_tables_group_rows_by_their_table_and_show_errors():
    records = [{"table": "A", "name": "x", "rate": 1234.5}, {"table": "B", "name": "y", "n": 3},
               {"table": "A", "name": "z", "error": "timed out"}]
    lines = task_tables(records)
    assert lines[:4] == ["## A", "", "| name | rate | error |", "|---|---|---|"]
    assert lines[4] == "| x | 1,234.5 | - |" and lines[5] == "| z | - | timed out |"
    assert "## B" in lines and "| y | 3 |" in lines
