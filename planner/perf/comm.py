"""Tensor-parallel communication over the link graph of an instance.

An all-reduce of a message over TP chips is costed as a ring (2(TP-1)/TP of the message each
way) over an effective both-ways link bandwidth that depends on how the chips are linked
(the accelerator facts' `topology` and `scale_up_domain`):

- switch (NVSwitch, NVL72), ring and torus (NeuronLink, ICI), cube-mesh (V100 NVLink), pcie
  and network: the listed interconnect bandwidth, whatever the TP degree;
- bridge (NVLink bridges joining groups of `scale_up_domain` chips, as on H100 NVL): the NVLink
  bandwidth while the replica stays inside one group, else the ring crosses PCIe and runs at
  the chip's PCIe host link;
- mesh (AMD xGMI): every chip has a direct link to each of its scale_up_domain - 1 peers and
  the listed bandwidth is their sum, so a replica of TP chips uses TP - 1 of those links;
- single: one chip per instance, nothing to reduce over.
"""

from __future__ import annotations

from planner.facts.accelerators import Accelerator

RING_TOPOLOGIES = frozenset({"switch", "ring", "torus", "cube-mesh", "pcie", "network"})
TOPOLOGIES = RING_TOPOLOGIES | {"bridge", "mesh", "single"}


def ring_bandwidth_gbps(accelerator: Accelerator, tp: int) -> float:
    """The both-ways bandwidth (GB/s) a ring all-reduce over `tp` chips of `accelerator` runs
    at (the ring formula's link); the listed interconnect bandwidth where the topology does
    not change it."""
    topology, domain = accelerator.topology, max(1, accelerator.scale_up_domain)
    if topology == "bridge" and tp > domain:
        return accelerator.pcie_gbps
    if topology == "mesh" and domain > 1:
        return accelerator.interconnect_gbps * min(tp - 1, domain - 1) / (domain - 1)
    return accelerator.interconnect_gbps


def link_kind(accelerator: Accelerator, tp: int) -> str:
    """Words for the link a TP-wide replica's all-reduce crosses (for explanations)."""
    if tp <= 1:
        return "none"
    if accelerator.topology == "bridge" and tp > accelerator.scale_up_domain:
        return "pcie (beyond the NVLink bridge group)"
    return f"{accelerator.link} {accelerator.topology}"
