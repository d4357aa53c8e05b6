// Imported first by view tests: chalk (inside Ink) picks its colour level when it loads, and the
// test runner's stdout is not a terminal, so without this no test could see colours at all.
process.env.FORCE_COLOR = "3";
delete process.env.NO_COLOR;
