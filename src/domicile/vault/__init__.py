"""The vault: PD encrypted under per-subject data keys inside the home cell."""
