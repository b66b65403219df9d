"""What leaves the building: transfer bundles, the scan before they leave, export and the evaluation report."""
