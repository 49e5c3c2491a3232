"""Development tools outside the domain: demo data (``seed_demo``) and the national-scale
benchmark (``benchmark``). Built on the domain services; no domain app imports this one."""
