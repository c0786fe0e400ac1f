// client.import (whole-process.ts): a program that only imports @machina/client, as a panel's does.
import { connect } from "@machina/client";

console.log(typeof connect);
