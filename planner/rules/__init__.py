"""Rules about a Plan that several of its consumers apply (verify reports, emit refuses): they
sit below both, above the Plan model and the provider registry.

The constraint families, one module each, hold a rule's spec field(s) and the workload kinds
it applies to (FIELD/FIELDS, KINDS), its rows in the placement MIP and in the decomposition's
LP (written once against planner.rules.rows.Rows, which both models implement), when a
decomposition subproblem without them is exact (`simple`), its words for the infeasibility
diagnosis and its independent check where verify's is a plan-level count. Its SLOTS say which
row groups take its functions and at which order key; planner.rules.families finds the modules
with SLOTS and builds the registry from them:

    routing, capacity, replicas, edge_share       serving requests and instances
    regions, region_loss                          spread over regions (serving only: the spec
                                                  refuses the fields on batch and training)
    spot_share                                    every kind
    deadlines                                     batch volume by its deadline, training gang
    quotas, owned, budget                         rows shared by the fleet, and the one usage
                                                  count solver, verify and report share
    residency, deployment                         where a plan may run, what emit can deploy
"""
