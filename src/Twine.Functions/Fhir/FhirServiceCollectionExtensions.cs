using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Fhir;

public static class FhirServiceCollectionExtensions
{
    /// <summary>
    /// The /api/fhir routes, over what AddIngestions registers and the Twine client (patients of Appointments). Each
    /// partner with a section <c>Fhir:Partners:&lt;partner&gt;</c> gets its named <see cref="FhirPartnerOptions"/>, validated
    /// at start-up; a signed partner without one is answered 403 on the FHIR routes (its JSON:API routes are unaffected).
    /// </summary>
    public static IServiceCollection AddFhir(this IServiceCollection services, IConfiguration configuration)
    {
        var names = configuration.GetSection(FhirPartnerOptions.SectionPrefix).GetChildren().Select(c => c.Key).ToList();
        foreach (var name in names)
        {
            services.AddOptions<FhirPartnerOptions>(name).Bind(configuration.GetSection($"{FhirPartnerOptions.SectionPrefix}:{name}")).ValidateOnStart();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FhirPartnerOptions>, FhirPartnerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FhirPartnerOptions>, FhirPartnerMappingsValidator>());
        services.TryAddSingleton(new FhirPartnerSettings(names));
        services.TryAddSingleton<FhirPatientResolver>();
        services.TryAddSingleton<FhirIngestionHandler>();
        services.TryAddSingleton<FhirMetadataHandler>();
        return services;
    }
}

/// <summary>The partners that have FHIR settings (case-insensitive, as configuration keys are).</summary>
public sealed class FhirPartnerSettings(IEnumerable<string> partners)
{
    private readonly HashSet<string> _partners = new(partners, StringComparer.OrdinalIgnoreCase);

    public bool Has(string partner) => _partners.Contains(partner);
}
