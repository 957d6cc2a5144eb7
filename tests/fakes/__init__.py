"""Local servers that speak the real protocols, for tests and benchmarks (DESIGN.md: tests/fakes).

Import each fake from its own module, so using one never loads the others:
    tests.fakes.jira_server   JiraServer, Fault, jira_settings (Cloud and Data Center REST v2)
    tests.fakes.jira_site     JiraSite, populate (the fake Jira's content and a generated org)
    tests.fakes.jira_jql      the little JQL the fake Jira understands
"""
