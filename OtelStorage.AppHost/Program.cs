using Microsoft.Extensions.Configuration;
using OtelStorage.AppHost;
using OtelStorage.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var options = builder.Configuration.GetSection(InfrastructureOptions.SectionName).Get<InfrastructureOptions>() ?? new InfrastructureOptions();
var infrastructure = builder.AddInfrastructure(options);
builder.AddOtelStorageServices(infrastructure, options);

builder.Build().Run();
