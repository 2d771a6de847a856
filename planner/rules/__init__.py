"""Rules about a Plan that several of its consumers apply (verify reports, emit refuses): they
sit below both, above the Plan model and the provider registry."""
