"""Reading metric series for people: scorecards, comparisons, bottlenecks, coverage."""
