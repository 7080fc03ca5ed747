// Progressive enhancement only: every journey works without JavaScript.
import { initAll } from "../dist/govuk/govuk-frontend.min.js";

initAll();
