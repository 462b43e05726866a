// The simulated world (see DESIGN.md); filled in by issue 4.
