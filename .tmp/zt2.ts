import { openApiDocument } from "../app/api/openapi";
const d = openApiDocument();
console.log(JSON.stringify(d).length, Object.keys((d as any).components.schemas));
console.log(JSON.stringify((d as any).paths["/inventory/sets"]).slice(0,1500));
