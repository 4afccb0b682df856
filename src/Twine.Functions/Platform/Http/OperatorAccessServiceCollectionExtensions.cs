using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Http;

public static class OperatorAccessServiceCollectionExtensions
{
    /// <summary>The operator routes' sign-in check: options (section <c>OperatorAuth</c>, validated at start-up) and <see cref="OperatorAccess"/>.</summary>
    public static IServiceCollection AddOperatorAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperatorAuthOptions>().Bind(configuration.GetSection(OperatorAuthOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OperatorAuthOptions>, OperatorAuthOptionsValidator>());
        services.TryAddSingleton<OperatorAccess>();
        return services;
    }
}
