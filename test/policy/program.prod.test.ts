import { describeProgramPolicy } from "./programPolicy";

describeProgramPolicy("prod");
