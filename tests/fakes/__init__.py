"""Local fakes of outside services: real servers speaking their wire protocols."""
