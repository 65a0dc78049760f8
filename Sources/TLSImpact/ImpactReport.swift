// placeholder, replaced by the analyzer
