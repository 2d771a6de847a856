"""The accelerators clouds sell for LLM work in late 2026: their facts, the TP degrees their
engines allow, and the all-reduce cost of their link graphs."""

from __future__ import annotations

import pytest

from planner.facts import find_accelerator, find_llm
from planner.perf.comm import TOPOLOGIES, ring_bandwidth_gbps
from planner.perf.parallel import tp_problem, valid_tp_degrees
from planner.perf.roofline import peak_flops, step_model

NEW_CHIPS = ("B200", "B300", "GB200", "GB300", "H200-NVL", "H100-PCIe", "L40", "RTX-PRO-6000",
             "GH200", "MI300X", "MI325X", "MI355X", "TPU-v5p", "TPU-v6e", "Trainium2")  # fmt: skip


@pytest.mark.parametrize("name", NEW_CHIPS)
def test_every_chip_clouds_sell_for_llms_is_known_with_its_link_graph(name):
    chip = find_accelerator(name)
    assert chip is not None, name
    assert chip.memory_gb > 0 and chip.bandwidth_gbps > 0 and chip.bf16_tflops > 0
    assert chip.family and chip.vendor
    assert chip.topology in TOPOLOGIES
    assert chip.scale_up_domain >= 1


def test_fp4_is_listed_exactly_on_the_chips_with_fp4_tensor_cores():
    with_fp4 = {n for n in NEW_CHIPS if find_accelerator(n).fp4_tflops}
    assert with_fp4 == {"B200", "B300", "GB200", "GB300", "RTX-PRO-6000", "MI355X"}
    for name in ("H100", "H200", "MI300X", "TPU-v6e"):
        assert find_accelerator(name).fp4_tflops is None


def test_fp4_weights_compute_at_fp4_where_the_chip_has_it_and_at_16_bit_elsewhere():
    b200, h100 = find_accelerator("B200"), find_accelerator("H100")
    assert peak_flops(b200, "fp4") == 2 * peak_flops(b200, "fp8") == 4 * peak_flops(b200)
    assert peak_flops(h100, "fp4") == peak_flops(h100, "bf16")


def test_nvl72_racks_are_one_72_chip_nvlink_domain():
    for name in ("GB200", "GB300"):
        chip = find_accelerator(name)
        assert (chip.topology, chip.scale_up_domain, chip.link) == ("switch", 72, "nvlink")
    assert find_accelerator("B200").scale_up_domain == 8


def test_h100_nvl_all_reduce_crosses_pcie_beyond_a_bridged_pair():
    nvl = find_accelerator("H100-NVL")
    assert ring_bandwidth_gbps(nvl, 2) == nvl.interconnect_gbps == 600
    assert ring_bandwidth_gbps(nvl, 4) == nvl.pcie_gbps == 128
    model = find_llm("llama-3.1-8b")
    pair, four = step_model(model, nvl, 2), step_model(model, nvl, 4)
    # per byte of message, the ring over PCIe is 600/128 times slower (and 3/4 vs 1/2 of it moves)
    ratio = (four.allreduce(512) - four._latency) / (pair.allreduce(512) - pair._latency)
    assert ratio == pytest.approx(600 / 128 * (2 * 3 / 4) / (2 * 1 / 2))


def test_switched_chips_all_reduce_at_the_listed_bandwidth_at_every_tp():
    for name in ("H100", "H200", "B200", "GB200", "A100"):
        chip = find_accelerator(name)
        assert {ring_bandwidth_gbps(chip, tp) for tp in (2, 4, 8)} == {chip.interconnect_gbps}


def test_xgmi_mesh_uses_one_direct_link_per_peer_in_the_replica():
    mi300x = find_accelerator("MI300X")
    per_link = mi300x.interconnect_gbps / 7
    assert ring_bandwidth_gbps(mi300x, 2) == pytest.approx(per_link)
    assert ring_bandwidth_gbps(mi300x, 4) == pytest.approx(3 * per_link)
    assert ring_bandwidth_gbps(mi300x, 8) == pytest.approx(mi300x.interconnect_gbps)


def test_inferentia2_allows_neuron_core_groups_of_12_and_24_cores():
    inf2 = find_accelerator("Inferentia2")
    mixtral_22b = find_llm("mixtral-8x22b")  # 48 attention heads, 8 KV heads
    assert valid_tp_degrees(mixtral_22b, 12, inf2) == (1, 2, 4, 6, 12)
    # a GPU engine would refuse 12 (not a power of two, not a multiple of 8 KV heads)
    assert valid_tp_degrees(mixtral_22b, 12) == (1, 2, 4)
    assert "power of two" in tp_problem(mixtral_22b, 12, 12)


def test_neuron_pads_attention_heads_so_70b_shards_over_all_12_inferentia2_chips():
    # AWS's published Inf2 tables run Llama 3 70B (64 heads) on 24 NeuronCores (12 chips)
    inf2 = find_accelerator("Inferentia2")
    llama_70b = find_llm("llama-3.1-70b")
    assert valid_tp_degrees(llama_70b, 12, inf2) == (1, 2, 4, 6, 12)
    assert "must be one of" in tp_problem(llama_70b, 8, 12, inf2)
    # a GPU engine still needs the heads to split evenly
    assert "24 attention heads" in tp_problem(find_llm("llama-3.2-3b"), 16, 16)
