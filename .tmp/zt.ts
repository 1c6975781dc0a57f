import { z } from "zod";
import { InventoryQuery, AdjustmentRequest, InventoryPage, ErrorBody } from "../app/api/schemas";
console.log(JSON.stringify(z.toJSONSchema(InventoryQuery, { io: "input" })));
console.log(JSON.stringify(z.toJSONSchema(AdjustmentRequest, { io: "input" })));
console.log(JSON.stringify(z.toJSONSchema(InventoryPage, { io: "output" })).slice(0,600));
console.log(JSON.stringify(z.toJSONSchema(ErrorBody, { io: "output" })));
