import { describeProgramPolicy } from "./programPolicy";

describeProgramPolicy("dev");
