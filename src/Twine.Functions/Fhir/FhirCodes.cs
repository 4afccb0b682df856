using System.Collections.Frozen;

namespace Twine.Functions.Fhir;

/// <summary>The code systems the FHIR facade reads, and the one the Twine metric's <c>code</c> is written with.</summary>
public static class FhirSystems
{
    public const string Loinc = "http://loinc.org";

    /// <summary>IEEE 11073-10101 (MDC), as devices and the Personal Health Device IG code observations.</summary>
    public const string Mdc = "urn:iso:std:iso:11073:10101";

    public const string Ucum = "http://unitsofmeasure.org";

    /// <summary>The system Twine's own examples write in a metric's <c>code</c> (<c>{"system":"LOINC","value":"13457-7"}</c>).</summary>
    public const string TwineLoinc = "LOINC";
}

/// <summary>One row of the mapping table: a code, the Twine metric type it becomes, and the LOINC code Twine is sent.</summary>
/// <param name="Loinc">The LOINC code written in the metric's <c>code</c>: the code itself for a LOINC row, the type's LOINC code for an MDC row.</param>
public sealed record FhirCodeMapping(string System, string Code, string MetricType, string Loinc, string Display, bool IsBloodPressurePanel = false);

/// <summary>
/// Observation codes the facade maps to Twine metric types (docs/FHIR.md, "Mapping table"). A code not listed here is
/// skipped with a reason, never guessed. Twine types without a row have no LOINC or MDC code the app is sure of.
/// </summary>
public static class FhirCodeMap
{
    public const string BloodPressure = "blood_pressure";
    public const string Systolic = "blood_pressure_systolic";
    public const string Diastolic = "blood_pressure_diastolic";

    public static readonly IReadOnlyList<FhirCodeMapping> Rows =
    [
        // Vital signs (FHIR R4 vital-signs profiles), LOINC
        new(FhirSystems.Loinc, "85354-9", BloodPressure, "85354-9", "Blood pressure panel with all children optional", IsBloodPressurePanel: true),
        new(FhirSystems.Loinc, "55284-4", BloodPressure, "55284-4", "Blood pressure systolic and diastolic", IsBloodPressurePanel: true),
        new(FhirSystems.Loinc, "8480-6", Systolic, "8480-6", "Systolic blood pressure"),
        new(FhirSystems.Loinc, "8462-4", Diastolic, "8462-4", "Diastolic blood pressure"),
        new(FhirSystems.Loinc, "8867-4", "heart_rate", "8867-4", "Heart rate"),
        new(FhirSystems.Loinc, "9279-1", "respiratory_rate", "9279-1", "Respiratory rate"),
        new(FhirSystems.Loinc, "8310-5", "body_temperature", "8310-5", "Body temperature"),
        new(FhirSystems.Loinc, "2708-6", "oxygen_saturation", "2708-6", "Oxygen saturation in Arterial blood"),
        new(FhirSystems.Loinc, "59408-5", "oxygen_saturation", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        new(FhirSystems.Loinc, "29463-7", "weight", "29463-7", "Body weight"),
        new(FhirSystems.Loinc, "3141-9", "weight", "3141-9", "Body weight Measured"),
        new(FhirSystems.Loinc, "39156-5", "body_mass_index", "39156-5", "Body mass index (BMI) [Ratio]"),
        new(FhirSystems.Loinc, "41982-0", "body_fat_percentage", "41982-0", "Percentage of body fat Measured"),
        new(FhirSystems.Loinc, "72514-3", "pain_level", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
        // Pulmonary function
        new(FhirSystems.Loinc, "20150-9", "forced_expiratory_volume1", "20150-9", "FEV1"),
        new(FhirSystems.Loinc, "19870-5", "forced_vital_capacity", "19870-5", "Forced vital capacity [Volume] Respiratory system"),
        new(FhirSystems.Loinc, "19935-6", "peak_expiratory_flow_rate", "19935-6", "Maximum expiratory gas flow Respiratory system airway by Peak flow meter"),
        // Laboratory
        new(FhirSystems.Loinc, "2339-0", "blood_glucose", "2339-0", "Glucose [Mass/volume] in Blood"),
        new(FhirSystems.Loinc, "2345-7", "blood_glucose", "2345-7", "Glucose [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "41653-7", "blood_glucose", "41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer"),
        new(FhirSystems.Loinc, "15074-8", "blood_glucose", "15074-8", "Glucose [Moles/volume] in Blood"),
        new(FhirSystems.Loinc, "4548-4", "hemoglobin_a1c", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
        new(FhirSystems.Loinc, "17856-6", "hemoglobin_a1c", "17856-6", "Hemoglobin A1c/Hemoglobin.total in Blood by HPLC"),
        new(FhirSystems.Loinc, "2085-9", "hdl_cholesterol", "2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "13457-7", "ldl_cholesterol", "13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation"),
        new(FhirSystems.Loinc, "18262-6", "ldl_cholesterol", "18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay"),
        new(FhirSystems.Loinc, "2093-3", "total_cholesterol", "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "2571-8", "triglycerides", "2571-8", "Triglyceride [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "3094-0", "blood_urea_nitrogen", "3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "2160-0", "creatinine", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "718-7", "hemoglobin", "718-7", "Hemoglobin [Mass/volume] in Blood"),
        new(FhirSystems.Loinc, "4544-3", "hematocrit", "4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count"),
        new(FhirSystems.Loinc, "20570-8", "hematocrit", "20570-8", "Hematocrit [Volume Fraction] of Blood"),
        new(FhirSystems.Loinc, "2498-4", "total_serum_iron", "2498-4", "Iron [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "3016-3", "thyroid_stimulating_hormone", "3016-3", "Thyrotropin [Units/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "3024-7", "free_thyroxine", "3024-7", "Thyroxine (T4) free [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "3051-0", "free_triiodothyronine", "3051-0", "Triiodothyronine (T3) free [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "3053-6", "total_triiodothyronine", "3053-6", "Triiodothyronine (T3) [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "24467-3", "cd4_cell_count", "24467-3", "CD3+CD4+ (T4 helper) cells [#/volume] in Blood"),
        new(FhirSystems.Loinc, "20447-9", "hiv_viral_load", "20447-9", "HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection"),
        new(FhirSystems.Loinc, "6301-6", "inr", "6301-6", "INR in Platelet poor plasma by Coagulation assay"),
        new(FhirSystems.Loinc, "34714-6", "inr", "34714-6", "INR in Blood by Coagulation assay"),
        new(FhirSystems.Loinc, "2991-8", "free_testosterone", "2991-8", "Testosterone Free [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "2986-8", "total_testosterone", "2986-8", "Testosterone [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "1988-5", "c_reactive_protein", "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "30522-7", "c_reactive_protein", "30522-7", "C reactive protein [Mass/volume] in Serum or Plasma by High sensitivity method"),
        new(FhirSystems.Loinc, "2857-1", "prostate_specific_antigen", "2857-1", "Prostate specific Ag [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "10365-5", "cotinine", "10365-5", "Cotinine [Mass/volume] in Serum or Plasma"),
        new(FhirSystems.Loinc, "10366-3", "cotinine", "10366-3", "Cotinine [Mass/volume] in Urine"),
        new(FhirSystems.Loinc, "1986-9", "c_peptide", "1986-9", "C peptide [Mass/volume] in Serum or Plasma"),
        // Devices: IEEE 11073-10101 (partition 2 codes, 65536 × 2 + term code)
        new(FhirSystems.Mdc, "150020", BloodPressure, "85354-9", "MDC_PRESS_BLD_NONINV", IsBloodPressurePanel: true),
        new(FhirSystems.Mdc, "150021", Systolic, "8480-6", "MDC_PRESS_BLD_NONINV_SYS"),
        new(FhirSystems.Mdc, "150022", Diastolic, "8462-4", "MDC_PRESS_BLD_NONINV_DIA"),
        new(FhirSystems.Mdc, "147842", "heart_rate", "8867-4", "MDC_ECG_HEART_RATE"),
        new(FhirSystems.Mdc, "149530", "heart_rate", "8867-4", "MDC_PULS_OXIM_PULS_RATE"),
        new(FhirSystems.Mdc, "149546", "heart_rate", "8867-4", "MDC_PULS_RATE_NON_INV"),
        new(FhirSystems.Mdc, "151562", "respiratory_rate", "9279-1", "MDC_RESP_RATE"),
        new(FhirSystems.Mdc, "150364", "body_temperature", "8310-5", "MDC_TEMP_BODY"),
        new(FhirSystems.Mdc, "150456", "oxygen_saturation", "59408-5", "MDC_PULS_OXIM_SAT_O2"),
        new(FhirSystems.Mdc, "188736", "weight", "29463-7", "MDC_MASS_BODY_ACTUAL"),
        new(FhirSystems.Mdc, "188752", "body_mass_index", "39156-5", "MDC_RATIO_MASS_BODY_LEN_SQ"),
        new(FhirSystems.Mdc, "188748", "body_fat_percentage", "41982-0", "MDC_BODY_FAT"),
        new(FhirSystems.Mdc, "160184", "blood_glucose", "41653-7", "MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD"),
        new(FhirSystems.Mdc, "150448", "peripheral_perfusion_index", "", "MDC_PULS_OXIM_PERF_REL"),
    ];

    private static readonly FrozenDictionary<(string System, string Code), FhirCodeMapping> ByCode =
        Rows.ToFrozenDictionary(r => (r.System, r.Code));

    public static FhirCodeMapping? Find(string? system, string? code) =>
        system is null || code is null ? null : ByCode.GetValueOrDefault((system, code));

    /// <summary>True for a systolic component code (LOINC 8480-6, MDC 150021).</summary>
    public static bool IsSystolic(string? system, string? code) => Find(system, code)?.MetricType == Systolic;

    /// <summary>True for a diastolic component code (LOINC 8462-4, MDC 150022).</summary>
    public static bool IsDiastolic(string? system, string? code) => Find(system, code)?.MetricType == Diastolic;
}
