"""One env through a saved, reviewed plan: target, saved-plan contract, flows, prompts."""
