using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Twine.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.AddTwineFunctions();
builder.Build().Run();
