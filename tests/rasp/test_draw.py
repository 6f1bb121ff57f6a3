"""``draw``: the computation graph with values, as SVG and DOT."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from rasp.draw import drawing, to_dot, to_svg
from rasp.parser import parse
from rasp.stage import stage

REVERSE = """
opp_index = length - indices - 1;
flip = select(indices, opp_index, ==);
reverse = aggregate(flip, tokens);
"""
SVG = "{http://www.w3.org/2000/svg}"


def reverse_drawing(word: str):
    program = stage(parse(REVERSE, "reverse.rasp"))
    return drawing(program.names["reverse"], tuple(word))


def test_every_node_carries_its_values_on_the_input():
    picture = reverse_drawing("abcd")
    by_name = {node.label: node for node in picture.nodes}
    assert by_name["reverse"].values == tuple("dcba")
    assert by_name["opp_index"].values == ("3", "2", "1", "0")
    # flip: query i selects key j where j == 3 - i (worked by hand)
    assert by_name["flip"].matrix == tuple(tuple(j == 3 - i for j in range(4)) for i in range(4))


def test_rows_follow_depth_in_the_graph():
    picture = reverse_drawing("ab")
    depth = {node.label: node.depth for node in picture.nodes}
    assert depth["tokens"] == depth["indices"] == 0
    assert depth["flip"] > depth["opp_index"] > depth["indices"]
    assert depth["reverse"] == max(depth.values())


def test_svg_is_well_formed_and_draws_each_node_and_edge():
    picture = reverse_drawing("abc")
    root = ET.fromstring(to_svg(picture))
    names = [g.get("data-name") for g in root.iter(f"{SVG}g")]
    assert set(names) == {node.label for node in picture.nodes}
    assert len(root.findall(f"{SVG}path")) == len(picture.edges)
    flip = next(g for g in root.iter(f"{SVG}g") if g.get("data-name") == "flip")
    filled = [r for r in flip.findall(f"{SVG}rect") if r.get("fill") == "#b05fc0"]
    assert len(filled) == 3  # one key per query in a reversal


def test_dot_names_every_edge():
    picture = reverse_drawing("abc")
    text = to_dot(picture)
    assert text.startswith("digraph")
    for a, b in picture.edges:
        assert f"n{a} -> n{b};" in text
