import { describeStack } from "./describeStack";

describeStack("prod");
